//! Run one command under a supervisor (`process::supervise`) and measure it: its output read
//! line by line (events of `protocol`, `metric_regex` matches, a capped log), the meter read at
//! each phase boundary as the line arrives, the whole process tree ended on a timeout, Ctrl-C
//! or a budget stop. What a command trial (`command`) and `wattsweep measure` share.

use super::budget::BudgetState;
use super::interrupt::Interrupt;
use super::output::{Log, Msg, Stream, read_lines};
use super::phases::{History, Phases};
use super::protocol::{self, CmdPhase, Event};
use super::totals::Energies;
use crate::energy::{LoadProbe, LoadWindows, Meter, Reading, Window};
use crate::process::supervise::Status;
use crate::process::tree;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the tree gets to end after SIGTERM before SIGKILL.
pub(super) const GRACE: Duration = Duration::from_secs(5);

/// What to run and where its output goes.
pub(super) struct Launch {
    /// Program and arguments, already substituted.
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub workdir: PathBuf,
    pub timeout: Option<Duration>,
    /// `(metric, regex, scale)`: the last match of each wins.
    pub regexes: Vec<(String, regex::Regex, f64)>,
    /// The capped log of stdout and stderr, if any.
    pub log: Option<PathBuf>,
    pub log_cap: u64,
    /// Go on in an existing log (a later rung) instead of starting it anew.
    pub log_append: bool,
    /// Echo the command's output to ours (`measure`).
    pub echo: bool,
    /// Where the supervisor writes its status.
    pub status_file: PathBuf,
    /// Where the running supervisor's pid and start time are kept while it runs (a later run
    /// ends a tree left by a killed one).
    pub pid_file: Option<PathBuf>,
}

/// What watches the command from outside.
pub(super) struct Watch<'a> {
    pub meter: &'a Meter,
    pub interrupt: Option<&'a Interrupt>,
    pub budget: Option<&'a BudgetState>,
}

impl Ran {
    /// The `command_phases` column: the phases announced (`setup+train+eval`), or `none` when
    /// the whole command was the training window.
    pub(super) fn phases_text(&self) -> String {
        if self.phases_seen.is_empty() {
            return "none".into();
        }
        self.phases_seen
            .iter()
            .map(|p| format!("{p:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join("+")
    }
}

/// How the command ended.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Stop {
    Exited(i32),
    Signaled(i32),
    SpawnFailed(String),
    Timeout(f64),
    Interrupted,
    Budget(String),
}

/// One `{"epoch": N, …}` event with the energy and time of the train phases since the previous
/// one and the eval phase it closed.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct EpochSeen {
    pub epoch: usize,
    pub test_accuracy: Option<f64>,
    pub train_loss: Option<f64>,
    pub train_time_s: f64,
    /// Joules of the train phases since the previous epoch (`None` without train phases).
    pub train_energy_j: Option<f64>,
    pub eval: Option<Window>,
}

/// Everything measured while the command ran.
#[derive(Debug)]
pub(super) struct Ran {
    pub stop: Stop,
    /// The phases the command announced (empty: the whole command was the training window).
    pub phases_seen: Vec<CmdPhase>,
    /// Sums of the training windows.
    pub train: Energies,
    pub train_time_s: f64,
    /// The last eval phase.
    pub eval_last: Option<Window>,
    /// The infer phases, summed (energy, seconds).
    pub infer: Option<(f64, f64)>,
    pub load: LoadWindows,
    /// Per GPU, whether a process outside the command's tree used it while it trained.
    pub gpus_shared: Vec<Option<bool>>,
    pub test_accuracy: Option<f64>,
    pub train_images: Option<usize>,
    pub infer_images: Option<usize>,
    pub epochs: Vec<EpochSeen>,
    /// A metric was NaN or infinite (the training diverged).
    pub non_finite: Option<String>,
    /// The last lines of stderr (for the error column).
    pub stderr_tail: Vec<String>,
    pub status: Option<Status>,
    pub wall_s: f64,
}

/// End a tree left running by a wattsweep that was killed along with its supervisor's
/// parent-death signal somehow lost (the pid file says which; the start time guards against
/// a reused pid). Called before a sweep starts its trials.
pub(super) fn end_stale_tree(pid_file: &Path) {
    let Ok(text) = std::fs::read_to_string(pid_file) else { return };
    let mut it = text.split_whitespace().map(|x| x.parse::<u64>().ok());
    if let (Some(Some(pid)), Some(Some(start))) = (it.next(), it.next()) {
        let pid = pid as i32;
        if tree::start_ticks(pid) == Some(start) {
            tracing::warn!(
                "a command trial's processes (supervisor pid {pid}) outlived an earlier run: ending them"
            );
            // Its descendants first (it may be stuck), then the supervisor itself.
            tree::end_descendants(pid, GRACE, false);
            // SAFETY: kill only sends a signal.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    let _ = std::fs::remove_file(pid_file);
}

fn spawn(l: &Launch) -> std::io::Result<Child> {
    // The running image, even if the binary was replaced on disk during the sweep.
    let mut cmd = Command::new("/proc/self/exe");
    cmd.arg("__supervise")
        .arg("--status")
        .arg(&l.status_file)
        .arg("--grace-s")
        .arg(GRACE.as_secs_f64().to_string())
        .arg("--")
        .args(&l.argv)
        .current_dir(&l.workdir)
        .envs(l.env.iter().map(|(k, v)| (k, v)))
        .env("WATTSWEEP_SUPERVISOR_PARENT", std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // The supervisor hears of our death (even by SIGKILL) and ends the tree.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
            // A session of its own, without a controlling terminal: a Ctrl-C at the terminal
            // reaches us (and we end the tree in order), and a command that opens /dev/tty for
            // a prompt fails at once instead of stopping for good in a background group.
            libc::setsid();
            Ok(())
        });
    }
    let _ = std::fs::remove_file(&l.status_file);
    cmd.spawn()
}

/// Run the command to its end and measure it. `on_epoch` gets each epoch as it ends (its row is
/// written at once). `Err` only for what is wrong on our side (the log cannot be created).
pub(super) fn run(
    l: &Launch,
    w: &Watch,
    on_epoch: &mut dyn FnMut(&EpochSeen),
) -> anyhow::Result<Ran> {
    let mut log = Log::open(l.log.as_deref(), l.log_cap, l.log_append)?;
    let mut probe = LoadProbe::system();
    let started = Instant::now();
    let mut phases = Phases {
        current: None,
        seen: Vec::new(),
        train: Energies { source: w.meter.source(), ..Default::default() },
        train_time_s: 0.0,
        epoch_train_j: None,
        epoch_train_s: 0.0,
        eval_last: None,
        eval_since_epoch: None,
        infer: None,
        load: LoadWindows::default(),
        load_mark: None,
        gpus_shared: Vec::new(),
        root: 0,
    };
    let mut ran = Ran {
        stop: Stop::Exited(0),
        phases_seen: Vec::new(),
        train: Energies::default(),
        train_time_s: 0.0,
        eval_last: None,
        infer: None,
        load: LoadWindows::default(),
        gpus_shared: Vec::new(),
        test_accuracy: None,
        train_images: None,
        infer_images: None,
        epochs: Vec::new(),
        non_finite: None,
        stderr_tail: Vec::new(),
        status: None,
        wall_s: 0.0,
    };
    let start_reading = w.meter.read();
    let whole_mark = probe.sample();
    let mut child = match spawn(l) {
        Ok(c) => c,
        Err(e) => {
            ran.stop = Stop::SpawnFailed(format!("cannot start the supervisor: {e}"));
            return Ok(ran);
        }
    };
    let sup = child.id() as i32;
    phases.root = sup;
    tree::track(sup);
    if let Some(p) = &l.pid_file
        && let Some(start) = tree::start_ticks(sup)
    {
        let _ = crate::results::write_atomic(p, format!("{sup} {start}\n").as_bytes());
    }
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take();
    let err = child.stderr.take();
    let mut open_pipes = 0;
    for (stream, pipe) in [
        (Stream::Out, out.map(|p| Box::new(p) as Box<dyn Read + Send>)),
        (Stream::Err, err.map(|p| Box::new(p) as Box<dyn Read + Send>)),
    ] {
        if let Some(pipe) = pipe {
            let tx = tx.clone();
            open_pipes += 1;
            std::thread::spawn(move || read_lines(pipe, stream, tx));
        }
    }
    drop(tx);
    let mut history = History {
        readings: VecDeque::new(),
        last: Instant::now(),
        period: w.meter.sample_period(),
    };
    let mut stderr_tail: VecDeque<String> = VecDeque::new();
    let mut regex_hits: Vec<(String, f64)> = Vec::new();
    let mut stopping: Option<(Stop, Instant)> = None;
    let mut budget_probe = Instant::now();
    // Whether an event reported test_accuracy (then no regex overrides it).
    let mut event_accuracy = false;
    let mut exited: Option<(std::process::ExitStatus, Reading, Instant)> = None;
    let mut final_event = Event::default();
    loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(Msg::Line(stream, text, at)) => {
                if l.echo {
                    // A closed stdout (`| head`) must not end the measurement.
                    let _ = match stream {
                        Stream::Out => writeln!(std::io::stdout(), "{text}"),
                        Stream::Err => writeln!(std::io::stderr(), "{text}"),
                    };
                }
                log.line(&text);
                if stream == Stream::Err {
                    stderr_tail.push_back(text.clone());
                    if stderr_tail.len() > 5 {
                        stderr_tail.pop_front();
                    }
                }
                match protocol::parse_line(&text) {
                    Some(Ok(ev)) => {
                        if !ev.unknown.is_empty() {
                            log.line(&format!(
                                "[wattsweep] ignored unknown event keys: {}",
                                ev.unknown.join(", ")
                            ));
                        }
                        event_accuracy |= ev.test_accuracy.is_some();
                        let now = history.at(ev.t, w.meter);
                        handle_event(
                            &ev,
                            now,
                            at,
                            &mut phases,
                            &mut probe,
                            w,
                            &mut ran,
                            &mut final_event,
                            on_epoch,
                        );
                    }
                    Some(Err(e)) => log.line(&format!("[wattsweep] event line ignored: {e}")),
                    None => {
                        for (metric, re, scale) in &l.regexes {
                            if let Some(c) = re.captures_iter(&text).last()
                                && let Some(m) = c.get(1)
                            {
                                match m.as_str().trim().parse::<f64>() {
                                    Ok(x) => regex_hits.push((metric.clone(), x * scale)),
                                    Err(_) => log.line(&format!("[wattsweep] metric_regex.{metric} matched `{}`, which is not a number", m.as_str())),
                                }
                            }
                        }
                    }
                }
            }
            Ok(Msg::Closed) => open_pipes -= 1,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => open_pipes = 0,
        }
        history.tick(w.meter);
        if exited.is_none()
            && let Ok(Some(status)) = child.try_wait()
        {
            exited = Some((status, w.meter.read(), Instant::now()));
        }
        if let Some((_, _, at)) = &exited {
            // The tree is gone; what is still in the pipes arrives within moments (a process
            // outside the tree holding them must not hang the sweep).
            if open_pipes <= 0 || at.elapsed() > Duration::from_secs(3) {
                break;
            }
            continue;
        }
        match &stopping {
            None => {
                let open_j = match (w.budget, budget_probe.elapsed() >= Duration::from_millis(250))
                {
                    (Some(_), true) => {
                        budget_probe = Instant::now();
                        let now = w.meter.read();
                        match (&phases.current, phases.seen.is_empty()) {
                            (
                                Some((
                                    CmdPhase::Train | CmdPhase::Eval | CmdPhase::Infer,
                                    start,
                                    _,
                                )),
                                _,
                            ) => now.since(start).energy_j,
                            (None, true) => now.since(&start_reading).energy_j,
                            _ => 0.0,
                        }
                    }
                    _ => 0.0,
                };
                let why = if w.interrupt.is_some_and(|i| i.requested()) {
                    Some(Stop::Interrupted)
                } else if let Some(b) = w.budget.and_then(|b| b.reached_with(open_j)) {
                    Some(Stop::Budget(b))
                } else {
                    l.timeout
                        .filter(|t| started.elapsed() >= *t)
                        .map(|t| Stop::Timeout(t.as_secs_f64()))
                };
                if let Some(why) = why {
                    // SAFETY: kill only sends a signal; the supervisor ends the tree.
                    unsafe { libc::kill(sup, libc::SIGTERM) };
                    stopping = Some((why, Instant::now()));
                }
            }
            Some((_, since)) if since.elapsed() > GRACE + Duration::from_secs(10) => {
                // The supervisor does not answer: end everything ourselves.
                tree::end_descendants(sup, Duration::ZERO, false);
                // SAFETY: as above.
                unsafe { libc::kill(sup, libc::SIGKILL) };
            }
            Some(_) => {}
        }
    }
    let (exit, end_reading, _) = match exited {
        Some(e) => e,
        None => (child.wait()?, w.meter.read(), Instant::now()),
    };
    tree::untrack();
    if let Some(p) = &l.pid_file {
        let _ = std::fs::remove_file(p);
    }
    // The open phase ends with the command.
    phases.close(&end_reading, &mut probe, w.budget, w.meter);
    if phases.seen.is_empty() {
        // No phases: the whole command is the training window.
        let win = end_reading.since(&start_reading);
        phases.train.add(&win);
        phases.train_time_s = win.duration_s;
        phases.load.add(whole_mark, probe.sample());
        phases.note_gpus(w.meter);
        if let Some(b) = w.budget {
            b.add(win.energy_j);
        }
    }
    ran.status = std::fs::read(&l.status_file).ok().and_then(|b| serde_json::from_slice(&b).ok());
    let _ = std::fs::remove_file(&l.status_file);
    // The tree may have been ended from outside at the same moment we were told to stop
    // (Slurm's scancel, systemd: SIGTERM to every process at once): then it was stopped, not
    // failed.
    if stopping.is_none() {
        let told = ran.status.as_ref().is_some_and(|s| s.terminated);
        if w.interrupt.is_some_and(|i| i.requested()) || told {
            stopping = Some((Stop::Interrupted, Instant::now()));
        } else if let Some(b) = w.budget.and_then(|b| b.reached()) {
            stopping = Some((Stop::Budget(b), Instant::now()));
        }
    }
    ran.stop = match (stopping, &ran.status) {
        (Some((why, _)), _) => why,
        (None, Some(s)) if s.spawn_error.is_some() => {
            Stop::SpawnFailed(s.spawn_error.clone().unwrap_or_default())
        }
        (None, Some(s)) => match (s.exit_code, s.signal) {
            (Some(c), _) => Stop::Exited(c),
            (_, Some(sig)) => Stop::Signaled(sig),
            _ => Stop::Signaled(libc::SIGTERM),
        },
        // No status: the supervisor itself died (killed from outside).
        (None, None) => match exit.code() {
            Some(c) => Stop::Exited(c),
            None => Stop::Signaled(
                std::os::unix::process::ExitStatusExt::signal(&exit).unwrap_or(libc::SIGKILL),
            ),
        },
    };
    if let Some(s) = &ran.status
        && s.leftovers > 0
        && !matches!(ran.stop, Stop::Timeout(_) | Stop::Interrupted | Stop::Budget(_))
    {
        log.line(&format!(
            "[wattsweep] the command exited leaving {} process(es) running; they were ended",
            s.leftovers
        ));
        tracing::info!(
            "the command exited leaving {} process(es) running; they were ended",
            s.leftovers
        );
    }
    // Metrics: events win over regexes read earlier, the last of either wins.
    for (metric, x) in regex_hits {
        match metric.as_str() {
            "test_accuracy" if !event_accuracy => ran.test_accuracy = Some(x),
            "train_images" if final_event.train_images.is_none() && x.is_finite() && x >= 0.0 => {
                ran.train_images = Some(x as usize)
            }
            "train_loss" if !x.is_finite() => {
                ran.non_finite.get_or_insert(format!("train_loss = {x}"));
            }
            _ => {}
        }
    }
    if let Some(a) = ran.test_accuracy
        && !a.is_finite()
    {
        ran.non_finite.get_or_insert(format!("test_accuracy = {a}"));
    }
    ran.phases_seen = phases.seen;
    ran.train = phases.train;
    ran.train_time_s = phases.train_time_s;
    ran.eval_last = phases.eval_last;
    ran.infer = phases.infer;
    ran.load = phases.load;
    ran.gpus_shared = phases.gpus_shared;
    ran.stderr_tail = stderr_tail.into_iter().collect();
    ran.wall_s = started.elapsed().as_secs_f64();
    Ok(ran)
}

#[allow(clippy::too_many_arguments)]
fn handle_event(
    ev: &Event,
    now: Reading,
    at: Instant,
    phases: &mut Phases,
    probe: &mut LoadProbe,
    w: &Watch,
    ran: &mut Ran,
    final_event: &mut Event,
    on_epoch: &mut dyn FnMut(&EpochSeen),
) {
    if let Some(p) = ev.phase {
        phases.close(&now, probe, w.budget, w.meter);
        phases.open(p, now.clone(), at, probe);
    }
    for (name, x) in [("test_accuracy", ev.test_accuracy), ("train_loss", ev.train_loss)] {
        if let Some(x) = x.filter(|x| !x.is_finite()) {
            ran.non_finite.get_or_insert(format!("{name} = {x}"));
        }
    }
    if let Some(epoch) = ev.epoch {
        // The epoch ends here: a train phase still open is split, an eval phase closed.
        match phases.current.as_ref().map(|c| c.0) {
            Some(CmdPhase::Train) => {
                phases.close(&now, probe, w.budget, w.meter);
                phases.open(CmdPhase::Train, now.clone(), at, probe);
            }
            Some(CmdPhase::Eval) => phases.close(&now, probe, w.budget, w.meter),
            _ => {}
        }
        let seen = EpochSeen {
            epoch,
            test_accuracy: ev.test_accuracy,
            train_loss: ev.train_loss,
            train_time_s: phases.epoch_train_s,
            train_energy_j: phases.epoch_train_j.take(),
            eval: phases.eval_since_epoch.take(),
        };
        phases.epoch_train_s = 0.0;
        if let Some(a) = ev.test_accuracy {
            ran.test_accuracy = Some(a);
        }
        on_epoch(&seen);
        ran.epochs.push(seen);
    } else {
        if let Some(a) = ev.test_accuracy {
            ran.test_accuracy = Some(a);
            final_event.test_accuracy = Some(a);
        }
        if let Some(n) = ev.train_images {
            ran.train_images = Some(n);
            final_event.train_images = Some(n);
        }
    }
    if let Some(n) = ev.infer_images {
        ran.infer_images = Some(n);
    }
}

#[cfg(test)]
#[path = "tests/launch.rs"]
mod tests;
