//! The cluster settings of `wattsweep slurm`: command-line flags over the grid's `[slurm]` table
//! over defaults. Values are checked here, before anything is written or submitted, so a typo in
//! `time` fails at once instead of as an `sbatch` error after the dataset was fetched.

use anyhow::{Result, bail};

/// Default number of array tasks (shards) when neither `--tasks` nor `[slurm] tasks` is given:
/// `min(trials, 8)`. Eight tasks spread a typical grid over a few nodes without queueing dozens
/// of whole-node jobs; more tasks than trials would only start empty shards.
pub(crate) const DEFAULT_MAX_TASKS: u64 = 8;

/// What the command line gave (`None`/`false`: not given).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SlurmFlags {
    pub tasks: Option<u64>,
    pub max_parallel: Option<u64>,
    pub partition: Option<String>,
    pub time: Option<String>,
    pub cpus_per_task: Option<u64>,
    pub mem: Option<String>,
    pub gpus: Option<String>,
    pub exclusive: bool,
    pub shared: bool,
    pub account: Option<String>,
}

/// The resolved settings the scripts are written from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SlurmSettings {
    /// Array tasks = shards (N of `--shard I/N`).
    pub tasks: u64,
    /// At most this many tasks run at once (`--array=0-(N-1)%K`).
    pub max_parallel: u64,
    pub partition: Option<String>,
    pub time: Option<String>,
    pub cpus_per_task: Option<u64>,
    pub mem: Option<String>,
    pub gpus: Option<String>,
    /// Whole nodes (`--exclusive`, the default), because RAPL meters whole CPU packages.
    pub exclusive: bool,
    pub account: Option<String>,
}

/// Flags win over the `[slurm]` table (already checked for unknown keys by the grid parser),
/// which wins over the defaults. `trials` is the size of the plan.
pub(crate) fn resolve(
    flags: &SlurmFlags,
    table: &toml::Table,
    trials: usize,
) -> Result<SlurmSettings> {
    let mut problems = Vec::new();
    let mut int = |key: &str| -> Option<u64> {
        match table.get(key) {
            None => None,
            Some(toml::Value::Integer(i)) if *i >= 1 => Some(*i as u64),
            Some(v) => {
                problems.push(format!("[slurm] {key} = {v}: must be a whole number ≥ 1"));
                None
            }
        }
    };
    let t_tasks = int("tasks");
    let t_max = int("max_parallel");
    let t_cpus = int("cpus_per_task");
    let mut text = |key: &str, numbers_ok: bool| -> Option<String> {
        match table.get(key) {
            None => None,
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(toml::Value::Integer(i)) if numbers_ok && *i >= 0 => Some(i.to_string()),
            Some(v) => {
                problems.push(format!(
                    "[slurm] {key} = {v}: must be a string{}",
                    if numbers_ok { " or a whole number" } else { "" }
                ));
                None
            }
        }
    };
    let t_partition = text("partition", false);
    let t_time = text("time", true);
    let t_mem = text("mem", true);
    let t_gpus = text("gpus", true);
    let t_account = text("account", false);
    let mut boolean = |key: &str| -> Option<bool> {
        match table.get(key) {
            None => None,
            Some(toml::Value::Boolean(b)) => Some(*b),
            Some(v) => {
                problems.push(format!("[slurm] {key} = {v}: must be true or false"));
                None
            }
        }
    };
    let t_exclusive = boolean("exclusive");
    let t_shared = boolean("shared");
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }

    // Exclusive unless `--shared`; the table's two keys must not contradict each other.
    let exclusive = if flags.exclusive && flags.shared {
        bail!("--exclusive and --shared contradict each other; give one");
    } else if flags.exclusive {
        true
    } else if flags.shared {
        false
    } else {
        match (t_exclusive, t_shared) {
            (Some(e), Some(s)) if e == s => {
                bail!("[slurm] exclusive = {e} and shared = {s} contradict each other; keep one")
            }
            (Some(e), _) => e,
            (None, Some(s)) => !s,
            (None, None) => true,
        }
    };

    let trials = trials.max(1) as u64;
    let mut tasks = flags.tasks.or(t_tasks).unwrap_or(trials.min(DEFAULT_MAX_TASKS));
    if tasks == 0 {
        bail!("--tasks must be ≥ 1");
    }
    if tasks > trials {
        tracing::info!(
            "{tasks} tasks for {trials} trials: using {trials} tasks (more would start empty shards)"
        );
        tasks = trials;
    }
    let max_parallel = flags.max_parallel.or(t_max).unwrap_or(tasks).min(tasks);
    if max_parallel == 0 {
        bail!("--max-parallel must be ≥ 1");
    }
    let settings = SlurmSettings {
        tasks,
        max_parallel,
        partition: flags.partition.clone().or(t_partition),
        time: flags.time.clone().or(t_time),
        cpus_per_task: flags.cpus_per_task.or(t_cpus),
        mem: flags.mem.clone().or(t_mem),
        gpus: flags.gpus.clone().or(t_gpus),
        exclusive,
        account: flags.account.clone().or(t_account),
    };
    check(&settings)?;
    Ok(settings)
}

/// Shapes `sbatch` accepts, checked early with messages that name the setting.
fn check(s: &SlurmSettings) -> Result<()> {
    if s.cpus_per_task == Some(0) {
        bail!("cpus_per_task must be ≥ 1");
    }
    if let Some(t) = &s.time
        && !valid_time(t)
    {
        bail!(
            "time `{t}`: expected minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (Slurm's formats), e.g. 2:00:00"
        );
    }
    if let Some(m) = &s.mem
        && !valid_mem(m)
    {
        bail!("mem `{m}`: expected a size such as 4G, 16000M or 0 (all of the node's memory)");
    }
    if let Some(g) = &s.gpus
        && !valid_gpus(g)
    {
        bail!("gpus `{g}`: expected a count or type:count, e.g. 1 or a100:2");
    }
    for (key, value) in [("partition", &s.partition), ("account", &s.account)] {
        if let Some(v) = value
            && (v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.,".contains(c)))
        {
            bail!("{key} `{v}`: expected letters, digits, `-`, `_`, `.` (and `,` between names)");
        }
    }
    Ok(())
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Slurm's time formats: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`.
pub(crate) fn valid_time(t: &str) -> bool {
    let (days, rest) = match t.split_once('-') {
        Some((d, r)) => (Some(d), r),
        None => (None, t),
    };
    if days.is_some_and(|d| !digits(d)) {
        return false;
    }
    let parts: Vec<&str> = rest.split(':').collect();
    (1..=3).contains(&parts.len()) && parts.iter().all(|p| digits(p))
}

/// `<number>[K|M|G|T]` (megabytes without a unit).
pub(crate) fn valid_mem(m: &str) -> bool {
    let number = m.strip_suffix(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't']).unwrap_or(m);
    digits(number)
}

/// `<count>` or `<type>:<count>`.
pub(crate) fn valid_gpus(g: &str) -> bool {
    match g.rsplit_once(':') {
        Some((kind, n)) => {
            !kind.is_empty()
                && kind.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && digits(n)
        }
        None => digits(g),
    }
}
