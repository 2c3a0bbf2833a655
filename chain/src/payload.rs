//! Event payloads: compact CBOR (RFC 8949) built from typed values, so bytes stay bytes
//! (no JSON arrays of numbers) and payloads decode without a schema for the JSON view.
//!
//! [`Wire`] maps the WIT value types the host exchanges with guests to CBOR and back. It is
//! what lets one generic wrapper record every host call and answer it again on replay.

use ciborium::value::{Integer, Value};

/// A payload that does not have the shape its reader expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("malformed payload: {0}")]
pub struct PayloadError(pub String);

fn shape(expected: &str, got: &Value) -> PayloadError {
    PayloadError(format!("expected {expected}, found {}", kind(got)))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Integer(_) => "an integer",
        Value::Bytes(_) => "bytes",
        Value::Float(_) => "a float",
        Value::Text(_) => "text",
        Value::Bool(_) => "a bool",
        Value::Null => "null",
        Value::Tag(..) => "a tag",
        Value::Array(_) => "an array",
        Value::Map(_) => "a map",
        _ => "an unknown value",
    }
}

/// A value that crosses the sandbox boundary and is recorded in the chain.
pub trait Wire: Sized {
    fn to_value(&self) -> Value;
    fn from_value(v: Value) -> Result<Self, PayloadError>;
}

impl Wire for () {
    fn to_value(&self) -> Value {
        Value::Null
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        match v {
            Value::Null => Ok(()),
            other => Err(shape("null", &other)),
        }
    }
}

impl Wire for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        match v {
            Value::Bool(b) => Ok(b),
            other => Err(shape("a bool", &other)),
        }
    }
}

macro_rules! wire_int {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn to_value(&self) -> Value {
                Value::Integer(Integer::from(*self))
            }
            fn from_value(v: Value) -> Result<Self, PayloadError> {
                match v {
                    Value::Integer(i) => <$t>::try_from(i).map_err(|_| PayloadError(format!("integer out of range for {}", stringify!($t)))),
                    other => Err(shape("an integer", &other)),
                }
            }
        }
    )*};
}
wire_int!(u16, i32, u32, u64, i64);

impl Wire for f64 {
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        match v {
            Value::Float(f) => Ok(f),
            other => Err(shape("a float", &other)),
        }
    }
}

impl Wire for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(shape("text", &other)),
        }
    }
}

/// `list<u8>` is a CBOR byte string, not an array of numbers.
impl Wire for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Bytes(self.clone())
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        match v {
            Value::Bytes(b) => Ok(b),
            other => Err(shape("bytes", &other)),
        }
    }
}

/// Lists of anything but bytes are CBOR arrays. (`u8` is deliberately not `Wire`, so this
/// impl and the byte-string one never overlap.)
impl<T: Wire> Wire for Vec<T> {
    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(Wire::to_value).collect())
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        match v {
            Value::Array(items) => items.into_iter().map(T::from_value).collect(),
            other => Err(shape("an array", &other)),
        }
    }
}

/// `none` is null; `some(x)` is x itself (the contract has no `option<option<_>>` or
/// `option<_>` of a unit, where that would be ambiguous).
impl<T: Wire> Wire for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        match v {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// `result<T, E>` is a one-entry map `{"ok": T}` or `{"err": E}`.
impl<T: Wire, E: Wire> Wire for Result<T, E> {
    fn to_value(&self) -> Value {
        match self {
            Ok(v) => map(vec![("ok", v.to_value())]),
            Err(e) => map(vec![("err", e.to_value())]),
        }
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut fields = Fields::new(v)?;
        if let Some(ok) = fields.take_opt("ok") {
            return T::from_value(ok).map(Ok);
        }
        E::from_value(fields.take("err")?).map(Err)
    }
}

macro_rules! wire_tuple {
    ($($name:ident),+) => {
        impl<$($name: Wire),+> Wire for ($($name,)+) {
            #[allow(non_snake_case)]
            fn to_value(&self) -> Value {
                let ($($name,)+) = self;
                Value::Array(vec![$($name.to_value()),+])
            }
            #[allow(non_snake_case)]
            fn from_value(v: Value) -> Result<Self, PayloadError> {
                let Value::Array(items) = v else { return Err(shape("an array", &v)) };
                let mut items = items.into_iter();
                $(let $name = $name::from_value(items.next().ok_or_else(|| PayloadError("tuple too short".into()))?)?;)+
                if items.next().is_some() {
                    return Err(PayloadError("tuple too long".into()));
                }
                Ok(($($name,)+))
            }
        }
    };
}
wire_tuple!(A);
wire_tuple!(A, B);
wire_tuple!(A, B, C);
wire_tuple!(A, B, C, D);
wire_tuple!(A, B, C, D, E);

/// A CBOR map with text keys, in the given order.
pub fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::Text(k.to_string()), v))
            .collect(),
    )
}

/// Reads named fields out of a CBOR map, for decoding records.
pub struct Fields(Vec<(Value, Value)>);

impl Fields {
    pub fn new(v: Value) -> Result<Fields, PayloadError> {
        match v {
            Value::Map(entries) => Ok(Fields(entries)),
            other => Err(shape("a map", &other)),
        }
    }

    pub fn take_opt(&mut self, key: &str) -> Option<Value> {
        let pos = self
            .0
            .iter()
            .position(|(k, _)| matches!(k, Value::Text(t) if t == key))?;
        Some(self.0.swap_remove(pos).1)
    }

    pub fn take(&mut self, key: &str) -> Result<Value, PayloadError> {
        self.take_opt(key)
            .ok_or_else(|| PayloadError(format!("missing field `{key}`")))
    }

    pub fn get<T: Wire>(&mut self, key: &str) -> Result<T, PayloadError> {
        T::from_value(self.take(key)?)
    }
}

/// Serialize a value to CBOR bytes.
pub fn encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = ciborium::into_writer(v, &mut out);
    out
}

/// Parse CBOR bytes.
pub fn decode(bytes: &[u8]) -> Result<Value, PayloadError> {
    ciborium::from_reader(bytes).map_err(|e| PayloadError(e.to_string()))
}

/// The human view of a payload: CBOR as JSON, bytes shown as text when they are UTF-8
/// (JSON messages stay readable) and as `0x…` hex otherwise.
pub fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Integer(i) => {
            let n: i128 = (*i).into();
            i64::try_from(n)
                .map(J::from)
                .or_else(|_| u64::try_from(n).map(J::from))
                .unwrap_or_else(|_| J::String(n.to_string()))
        }
        Value::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
                J::String(s.to_string())
            }
            _ => J::String(format!("0x{}", hex::encode(b))),
        },
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::Text(s) => J::String(s.clone()),
        Value::Bool(b) => J::Bool(*b),
        Value::Null => J::Null,
        Value::Tag(_, inner) => to_json(inner),
        Value::Array(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::Text(t) => t.clone(),
                        other => to_json(other).to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        _ => J::Null,
    }
}

/// Decode payload bytes straight to the JSON view; undecodable bytes are shown as hex.
pub fn bytes_to_json(bytes: &[u8]) -> serde_json::Value {
    match decode(bytes) {
        Ok(v) => to_json(&v),
        Err(_) => serde_json::Value::String(format!("0x{}", hex::encode(bytes))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round<T: Wire + PartialEq + std::fmt::Debug>(v: T) {
        let bytes = encode(&v.to_value());
        assert_eq!(T::from_value(decode(&bytes).unwrap()).unwrap(), v);
    }

    #[test]
    fn round_trips() {
        round(());
        round((String::from("a"), vec![1u8, 2, 3]));
        round(Some(vec![9u8]));
        round(None::<Vec<u8>>);
        round(Ok::<_, String>(vec![1u8]));
        round(Err::<(), _>(String::from("no")));
        round(vec![String::from("x"), String::from("y")]);
        round(vec![(String::from("k"), String::from("v"))]);
        round((u64::MAX, 7u32, 0.5f64, true));
    }

    #[test]
    fn bytes_are_a_byte_string() {
        let bytes = encode(&vec![0u8; 100].to_value());
        assert_eq!(
            bytes.len(),
            102,
            "CBOR bytes header is 2 bytes for 100 bytes of data"
        );
    }

    #[test]
    fn json_view_shows_text_and_hex() {
        let v = map(vec![
            ("msg", Value::Bytes(b"{\"a\":1}".to_vec())),
            ("raw", Value::Bytes(vec![0, 255])),
        ]);
        assert_eq!(
            to_json(&v),
            serde_json::json!({"msg": "{\"a\":1}", "raw": "0x00ff"})
        );
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        assert!(<(String,)>::from_value(Value::Null).is_err());
        assert!(<Result<u64, String>>::from_value(map(vec![])).is_err());
        assert!(u32::from_value(Value::Integer(Integer::from(u64::MAX))).is_err());
    }
}
