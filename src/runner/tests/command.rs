use super::*;
use crate::config::command::parse_command;
use crate::trial::settings::SETTING_KEYS;
use crate::trial::{TrialSpec, Value};

fn spec(toml_text: &str) -> CommandSpec {
    let t: toml::Table = toml::from_str(toml_text).unwrap();
    let mut known: Vec<String> = SETTING_KEYS.iter().map(|k| k.to_string()).collect();
    known.extend(["trial_id".to_string(), "hidden".to_string()]);
    let mut problems = Vec::new();
    let s = parse_command(&t, Path::new("."), &known, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    s.unwrap()
}

#[test]
fn the_command_line_substitutes_values_whole_and_sets_the_environment() {
    let c = spec(
        "argv = [\"prog\", \"--m={model}\", \"{hidden}\", \"{epochs}\", \"{{x}}\"]\nenv = { T = \"{threads}-{trial_id}\" }\n",
    );
    let mut s = TrialSpec::defaults(crate::models::ModelKind::Mlp);
    s.set("backend", &Value::Str("command".into())).unwrap();
    s.set("model", &Value::Str("a b;c".into())).unwrap();
    s.set("hidden", &Value::Int(7)).unwrap();
    s.set("threads", &Value::Int(3)).unwrap();
    let t = Trial { id: "abc".into(), spec: s };
    let (argv, env) = command_line(&t, &c, 4, Path::new("/tmp/a")).unwrap();
    assert_eq!(argv, ["prog", "--m=a b;c", "7", "4", "{x}"]);
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("T"), Some("3-abc"));
    assert_eq!(get("WATTSWEEP_HIDDEN"), Some("7"));
    assert_eq!(get("WATTSWEEP_EPOCHS"), Some("4"));
    assert_eq!(get("WATTSWEEP_MODEL"), Some("a b;c"));
    assert_eq!(get("WATTSWEEP_OUT"), Some("/tmp/a"));
}

#[test]
fn the_command_digest_follows_argv_env_and_inputs() {
    let a = spec("argv = [\"prog\", \"{hidden}\"]\n");
    let b = spec("argv = [\"prog\", \"{hidden}\", \"x\"]\n");
    let c = spec("argv = [\"prog\", \"{hidden}\"]\nenv = { A = \"1\" }\n");
    let a2 = spec("argv = [\"prog\", \"{hidden}\"]\ntimeout_s = 5\n");
    assert_ne!(a.digest, b.digest);
    assert_ne!(a.digest, c.digest);
    // A timeout does not change what is trained.
    assert_eq!(a.digest, a2.digest);
}
