//! Static files of the site (WebAssembly, JavaScript, CSS) served
//! precompressed. Compressing the WebAssembly at brotli's best level on
//! every request would cost seconds of CPU, so the server writes a `.br`
//! and a `.gz` copy next to each file once, in the background at start-up,
//! and `ServeDir` picks the best one the browser accepts.
//!
//! The copies are keyed on their file's content, not its time: beside them
//! a `.sha256` file names the SHA-256 of the bytes they were made from, and
//! a copy whose file no longer has those bytes is removed before the server
//! serves anything. A build that leaves an older modification time on a
//! new file (copied with its times kept, a clock set back) can no longer
//! have the old WebAssembly served for it.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// File types worth compressing.
const COMPRESSIBLE: [&str; 5] = ["wasm", "js", "css", "svg", "json"];

/// Calls `f` on every compressible file under `dir`.
fn each_compressible(
    dir: &Path,
    f: &mut dyn FnMut(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let compressible = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| COMPRESSIBLE.contains(&e));
            if compressible {
                f(&path)?;
            }
        }
    }
    Ok(())
}

/// Deletes `.br` and `.gz` copies not made from their file's present
/// bytes, so that between a deployment and the end of [`precompress`] a
/// browser gets the new file uncompressed, never the old one compressed
/// (old WebAssembly would not hydrate the new server's pages). Hashes each
/// file once (a few milliseconds for the site); run it before serving.
/// Returns how many copies it removed.
pub fn remove_stale(dir: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    each_compressible(dir, &mut |path| {
        if fresh(path)? {
            return Ok(());
        }
        for suffix in [".br", ".gz", ".sha256"] {
            let copy = with_suffix(path, suffix);
            if copy.exists() {
                std::fs::remove_file(&copy)?;
                removed += usize::from(suffix != ".sha256");
            }
        }
        Ok(())
    })?;
    Ok(removed)
}

/// Writes missing or stale `.br` and `.gz` copies of the files under `dir`.
/// Returns how many files were (re)compressed.
pub fn precompress(dir: &Path) -> std::io::Result<usize> {
    let mut done = 0;
    each_compressible(dir, &mut |path| {
        if compress_one(path)? {
            done += 1;
        }
        Ok(())
    })?;
    Ok(done)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn digest(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Were both copies made from the file's present bytes?
fn fresh(path: &Path) -> std::io::Result<bool> {
    let made_from = std::fs::read_to_string(with_suffix(path, ".sha256")).unwrap_or_default();
    Ok(with_suffix(path, ".br").exists()
        && with_suffix(path, ".gz").exists()
        && made_from.trim() == digest(&std::fs::read(path)?))
}

fn compress_one(path: &Path) -> std::io::Result<bool> {
    let br = with_suffix(path, ".br");
    let gz = with_suffix(path, ".gz");
    let data = std::fs::read(path)?;
    let made_from = std::fs::read_to_string(with_suffix(path, ".sha256")).unwrap_or_default();
    if br.exists() && gz.exists() && made_from.trim() == digest(&data) {
        return Ok(false);
    }
    // Write to a temporary name first so a request never sees half a file.
    let write = |target: &Path, bytes: &[u8]| -> std::io::Result<()> {
        let tmp = with_suffix(target, ".tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, target)
    };
    let mut compressed = Vec::with_capacity(data.len() / 3);
    {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut data.as_slice(), &mut compressed, &params)?;
    }
    write(&br, &compressed)?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&data)?;
    write(&gz, &encoder.finish()?)?;
    // Last: the copies count as made from these bytes only once both are.
    write(&with_suffix(path, ".sha256"), digest(&data).as_bytes())?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_build_with_an_older_time_still_loses_its_old_copies() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("puhui.wasm");
        std::fs::write(&file, b"old build, old build, old build").expect("write");
        assert_eq!(precompress(dir.path()).expect("compress"), 1);
        // The new build arrives with a modification time older than the
        // copies (kept by the copy that installed it).
        let old_time = std::fs::metadata(&file)
            .and_then(|m| m.modified())
            .expect("time");
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&file, b"the new build").expect("write");
        std::fs::File::options()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_modified(old_time - std::time::Duration::from_secs(60)))
            .expect("set time");
        assert_eq!(remove_stale(dir.path()).expect("remove"), 2);
        assert_eq!(precompress(dir.path()).expect("again"), 1);
        // What is served decompresses to the file beside it.
        let br = std::fs::read(dir.path().join("puhui.wasm.br")).expect("br");
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut br.as_slice(), &mut out).expect("brotli");
        assert_eq!(out, b"the new build");
    }

    #[test]
    fn stale_copies_are_removed_before_serving() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("app.wasm");
        std::fs::write(dir.path().join("app.wasm.br"), b"old").expect("write");
        std::fs::write(dir.path().join("app.wasm.gz"), b"old").expect("write");
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&file, b"new build").expect("write");
        assert_eq!(remove_stale(dir.path()).expect("remove"), 2);
        assert!(!dir.path().join("app.wasm.br").exists());
        assert!(!dir.path().join("app.wasm.gz").exists());
        // Fresh copies stay.
        assert_eq!(precompress(dir.path()).expect("compress"), 1);
        assert_eq!(remove_stale(dir.path()).expect("again"), 0);
        assert!(dir.path().join("app.wasm.br").exists());
    }

    #[test]
    fn writes_smaller_copies_once_and_skips_fresh_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("app.js");
        std::fs::write(&file, "console.log('普惠');\n".repeat(500)).expect("write");
        std::fs::write(dir.path().join("photo.png"), [0u8; 64]).expect("write");
        assert_eq!(precompress(dir.path()).expect("first"), 1);
        let br = std::fs::metadata(dir.path().join("app.js.br"))
            .expect("br")
            .len();
        let gz = std::fs::metadata(dir.path().join("app.js.gz"))
            .expect("gz")
            .len();
        let raw = std::fs::metadata(&file).expect("raw").len();
        assert!(
            br < raw / 10 && gz < raw / 10,
            "br {br}, gz {gz}, raw {raw}"
        );
        assert!(
            !dir.path().join("photo.png.br").exists(),
            "images are left alone"
        );
        assert_eq!(
            precompress(dir.path()).expect("second"),
            0,
            "fresh copies are kept"
        );
    }
}
