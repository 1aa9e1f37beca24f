//! The sysfs edge: errors name the file; EACCES is "unreadable", not 0.
use super::*;

#[test]
fn permission_denied_is_unreadable_and_garbage_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("energy_uj");
    std::fs::write(&file, "12x4\n").unwrap();
    let err = read_u64(&default_reader(), &file).unwrap_err();
    assert!(matches!(err, RaplError::Garbled { .. }));
    assert!(err.to_string().contains(&file.display().to_string()), "{err}");

    // Root ignores mode bits, so only a non-root run can test the real kernel path.
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(&file, "42\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    let real = read_u64(&default_reader(), &file);
    if unsafe { libc::geteuid() } == 0 {
        assert_eq!(real.unwrap(), 42);
    } else {
        assert!(matches!(real, Err(RaplError::Unreadable { .. })), "{real:?}");
    }
    // The injected reader reproduces EACCES for root too.
    let denied: Reader = Arc::new(|_: &Path| Err(io::Error::from(io::ErrorKind::PermissionDenied)));
    assert!(matches!(read_u64(&denied, &file), Err(RaplError::Unreadable { .. })));
    let eio: Reader = Arc::new(|_: &Path| Err(io::Error::from_raw_os_error(libc::EIO)));
    assert!(matches!(read_u64(&eio, &file), Err(RaplError::Io { .. })));
}

#[test]
fn advice_names_the_root_and_the_cve() {
    let a = permission_advice(Path::new("/x/powercap"));
    assert!(a.contains("sudo chmod o+r /x/powercap/intel-rapl:*/energy_uj"));
    assert!(a.contains("CVE-2020-8694"));
}
