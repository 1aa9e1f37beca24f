//! A value from a grid file, stripped of TOML: what settings are set from.

/// A value from the grid file, already stripped of TOML: numbers, strings or booleans.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
}

impl Value {
    pub(crate) fn from_toml(v: &toml::Value) -> Option<Value> {
        match v {
            toml::Value::Integer(i) => Some(Value::Int(*i)),
            toml::Value::Float(f) => Some(Value::Float(*f)),
            toml::Value::String(s) => Some(Value::Str(s.clone())),
            toml::Value::Boolean(b) => Some(Value::Bool(*b)),
            _ => None,
        }
    }
    pub(crate) fn number(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "\"{s}\""),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}
