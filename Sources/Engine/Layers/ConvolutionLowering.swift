/// How a dense `Conv2D` turns its convolution into kernel calls.
public enum ConvolutionLowering: Sendable, Equatable {
    /// The measured rule `Conv2D.usesDirectLowering` picks by shape.
    case automatic
    /// im2col, then one sgemm per group of images (any stride).
    case im2col
    /// `DirectConvolution` (stride 1, square kernels; other shapes fall back to im2col).
    case direct
}
