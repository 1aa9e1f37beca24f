//! Names and hints.

use super::*;
use crate::backend::Backend;
use crate::data::Dataset;
use crate::models::ModelKind;
use crate::optimizer::OptimizerKind;

#[test]
fn every_name_parses_back_to_its_value() {
    fn round_trip<T: Named + PartialEq + std::fmt::Debug>() {
        for &x in T::ALL {
            assert_eq!(parse_named::<T>(x.name()), Ok(x));
        }
    }
    round_trip::<Dataset>();
    round_trip::<ModelKind>();
    round_trip::<OptimizerKind>();
    round_trip::<Backend>();
}

#[test]
fn an_unknown_name_lists_the_valid_ones_and_the_nearest() {
    let err = parse_named::<ModelKind>("lstn").unwrap_err();
    assert!(err.contains("valid: mlp, cnn, rnn, lstm, gru, snn"), "{err}");
    assert!(err.contains("did you mean `lstm`?"), "{err}");
    assert_eq!(nearest("zzzzzzzz", ["mlp", "cnn"]), "");
}
