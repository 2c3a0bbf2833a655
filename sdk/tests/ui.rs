//! Misusing `#[actor]` is a compile error that points at the user's code and says how to
//! write it instead. The expected messages are in `tests/ui/*.stderr`.

#[test]
fn macro_misuse_is_a_clear_compile_error() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
