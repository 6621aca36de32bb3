/// Repairs the superblock checksum of an in-memory HDF5 file image.
///
/// HDF5 1.10.8's `H5Fget_file_image` clears the superblock's status flags in the
/// copy it returns (the file is open for writing; the image should read as
/// closed) but keeps the checksum computed with the flags set, so the image fails
/// to open with "incorrect metadata checksum". Version 2 and 3 superblocks end in
/// a Jenkins lookup3 checksum of the bytes before it (HDF5 file format
/// specification, "Superblock"); this recomputes it. Images whose checksum already
/// matches (other HDF5 versions, other superblock versions) are left alone.
enum HDF5SuperblockChecksum {
    /// Rewrites the checksum of a version 2 or 3 superblock at the start of `image`.
    static func repair(_ image: inout [UInt8]) {
        // signature (8) | version (1) | size of offsets (1) | size of lengths (1) | flags (1)
        // | base, extension, end-of-file, root addresses (4 x size of offsets) | checksum (4)
        guard image.count >= 12, image[8] == 2 || image[8] == 3 else { return }
        let checksumOffset = 12 + 4 * Int(image[9])
        guard image.count >= checksumOffset + 4 else { return }
        let checksum = lookup3(image[0..<checksumOffset])
        for byte in 0..<4 { image[checksumOffset + byte] = UInt8(truncatingIfNeeded: checksum >> (8 * UInt32(byte))) }
    }

    /// Bob Jenkins' lookup3 `hashlittle` (public domain, 2006), the checksum of HDF5
    /// metadata: 12-byte blocks read little-endian into a, b, c and mixed, then the
    /// tail and a final mix.
    static func lookup3(_ bytes: ArraySlice<UInt8>, initial: UInt32 = 0) -> UInt32 {
        func rotate(_ x: UInt32, _ k: UInt32) -> UInt32 { (x << k) | (x >> (32 - k)) }
        var a = 0xdead_beef &+ UInt32(truncatingIfNeeded: bytes.count) &+ initial, b = a, c = a
        /// Little-endian word of up to 4 bytes starting at `start` (missing bytes are 0).
        func word(_ start: Int) -> UInt32 {
            (0..<4).reduce(0) { sum, i in
                start + i < bytes.endIndex ? sum | UInt32(bytes[start + i]) << (8 * UInt32(i)) : sum
            }
        }
        var start = bytes.startIndex, remaining = bytes.count
        while remaining > 12 {
            a = a &+ word(start); b = b &+ word(start + 4); c = c &+ word(start + 8)
            a = a &- c; a ^= rotate(c, 4); c = c &+ b
            b = b &- a; b ^= rotate(a, 6); a = a &+ c
            c = c &- b; c ^= rotate(b, 8); b = b &+ a
            a = a &- c; a ^= rotate(c, 16); c = c &+ b
            b = b &- a; b ^= rotate(a, 19); a = a &+ c
            c = c &- b; c ^= rotate(b, 4); b = b &+ a
            start += 12
            remaining -= 12
        }
        if remaining == 0 { return c }
        a = a &+ word(start)
        if remaining > 4 { b = b &+ word(start + 4) }
        if remaining > 8 { c = c &+ word(start + 8) }
        c ^= b; c = c &- rotate(b, 14)
        a ^= c; a = a &- rotate(c, 11)
        b ^= a; b = b &- rotate(a, 25)
        c ^= b; c = c &- rotate(b, 16)
        a ^= c; a = a &- rotate(c, 4)
        b ^= a; b = b &- rotate(a, 14)
        c ^= b; c = c &- rotate(b, 24)
        return c
    }
}
