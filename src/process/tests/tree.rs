use super::*;

#[test]
fn a_stat_line_is_read_from_the_last_parenthesis() {
    // A command name with spaces and parentheses, as `/proc/<pid>/stat` shows it.
    let line = "4242 (python3 (x) y) S 17 4242 4242 0 -1 4194304 100 0 0 0 250 30 7 3 20 0 1 0 98765 1000 100 18446744073709551615";
    let p = parse_stat(line).unwrap();
    assert_eq!(p, Proc { pid: 4242, ppid: 17, cpu_ticks: 250 + 30 + 7 + 3, start_ticks: 98765 });
    assert_eq!(parse_stat("garbage"), None);
}

#[test]
fn descendants_follow_parent_pids_and_cpu_sums_the_tree() {
    let p = |pid, ppid, cpu| Proc { pid, ppid, cpu_ticks: cpu, start_ticks: 0 };
    let procs = [p(1, 0, 5), p(10, 1, 1), p(11, 10, 2), p(12, 11, 3), p(20, 1, 100), p(13, 10, 4)];
    let mut d = descendants(&procs, 10);
    d.sort();
    assert_eq!(d, vec![11, 12, 13]);
    assert_eq!(tree_cpu_ticks(&procs, 10), Some(1 + 2 + 3 + 4));
    assert_eq!(tree_cpu_ticks(&procs, 99), None);
}

#[test]
fn this_process_is_in_the_real_proc_with_its_children() {
    let mut child = std::process::Command::new("sleep").arg("5").spawn().unwrap();
    let me = std::process::id() as i32;
    let procs = snapshot(Path::new("/proc"));
    assert!(descendants(&procs, me).contains(&(child.id() as i32)));
    assert!(start_ticks(child.id() as i32).is_some());
    let n = end_descendants(me, Duration::from_secs(2), false);
    assert!(n >= 1);
    let status = child.wait().unwrap();
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(libc::SIGTERM));
}
