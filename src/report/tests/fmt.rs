use super::*;

#[test]
fn missing_and_non_finite_values_show_as_a_dash_never_zero() {
    assert_eq!(num(None), MISSING);
    assert_eq!(num(Some(f64::NAN)), MISSING);
    assert_eq!(num(Some(f64::INFINITY)), MISSING);
    assert_eq!(pct(None), MISSING);
    assert_eq!(text(Some("  ")), MISSING);
    assert_eq!(num(Some(0.0)), "0.000");
}

#[test]
fn numbers_use_dot_decimals_without_separators() {
    assert_eq!(num(Some(12345.6)), "12346");
    assert_eq!(num(Some(484.97018501)), "485.0");
    assert_eq!(num(Some(0.0005)), "5.00e-4");
    assert_eq!(pct(Some(0.9852)), "98.52");
    assert_eq!(lr(0.001), "0.001");
    assert_eq!(lr(0.00001), "1e-5");
    assert_eq!(tick(0.1 + 0.2), "0.3");
    assert_eq!(tick(50.0), "50");
    assert_eq!(tick(-0.0), "0");
}

#[test]
fn escaping_neutralises_markup_and_table_syntax() {
    assert_eq!(html_escape("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
    assert_eq!(md_cell("a|b\nc <i>"), "a\\|b c &lt;i>");
}
