//! The canonical encoding (docs/abi.md, "Type model"): little-endian fixed
//! width numbers, u32 length prefixes, no padding, no field names. The
//! decoder refuses rather than repairs: truncated input, trailing bytes, a
//! bool or optional byte other than 0/1, invalid UTF-8, an enum tag out of
//! range.

/// Bytes that encode as the ABI's `bytes` (a `Vec<u8>` is a `vector<u8>`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub Vec<u8>);

/// Why a value did not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub &'static str);

/// Reads values off encoded bytes.
pub struct Reader<'a> {
    input: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Reader { input, position: 0 }
    }
    pub fn at_end(&self) -> bool {
        self.position == self.input.len()
    }
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.input.len() - self.position < n {
            return Err(DecodeError("truncated"));
        }
        let out = &self.input[self.position..self.position + n];
        self.position += n;
        Ok(out)
    }
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    /// A length prefix, checked against what is left (no huge allocation).
    pub fn length(&mut self) -> Result<usize, DecodeError> {
        let n = self.u32()? as usize;
        if n > self.input.len() - self.position {
            return Err(DecodeError("a length exceeds the input"));
        }
        Ok(n)
    }
}

/// A value with a canonical encoding.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no Interstice encoding",
    note = "columns, parameters and values are integers, bool, f32, f64, String, Bytes, Vec<T>, Option<T>, tuples, or types with #[interstice_type]"
)]
pub trait Encode {
    fn encode(&self, out: &mut Vec<u8>);
}

/// A value that decodes from its canonical encoding.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no Interstice encoding",
    note = "columns, parameters and values are integers, bool, f32, f64, String, Bytes, Vec<T>, Option<T>, tuples, or types with #[interstice_type]"
)]
pub trait Decode: Sized {
    fn decode(r: &mut Reader) -> Result<Self, DecodeError>;
}

/// The encoding of `value`.
pub fn to_bytes<T: Encode + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode(&mut out);
    out
}

/// The value `bytes` encode, all of them.
pub fn from_bytes<T: Decode>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut r = Reader::new(bytes);
    let value = T::decode(&mut r)?;
    if !r.at_end() {
        return Err(DecodeError("trailing bytes"));
    }
    Ok(value)
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
        impl Decode for $t {
            fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
                Ok(<$t>::from_le_bytes(r.take(core::mem::size_of::<$t>())?.try_into().unwrap()))
            }
        }
    )*};
}
numbers!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self as u8);
    }
}
impl Decode for bool {
    fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        match r.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError("a bool that is not 0 or 1")),
        }
    }
}

fn encode_length(n: usize, out: &mut Vec<u8>) {
    (n as u32).encode(out);
}

impl Encode for str {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_length(self.len(), out);
        out.extend_from_slice(self.as_bytes());
    }
}
impl Encode for String {
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_str().encode(out);
    }
}
impl Decode for String {
    fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        let n = r.length()?;
        let bytes = r.take(n)?;
        core::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| DecodeError("a string that is not UTF-8"))
    }
}

impl Encode for Bytes {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_length(self.0.len(), out);
        out.extend_from_slice(&self.0);
    }
}
impl Decode for Bytes {
    fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        let n = r.length()?;
        Ok(Bytes(r.take(n)?.to_vec()))
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_length(self.len(), out);
        for item in self {
            item.encode(out);
        }
    }
}
impl<T: Decode> Decode for Vec<T> {
    fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        let n = r.u32()? as usize;
        // Never reserve more than the input could hold.
        let mut out = Vec::with_capacity(n.min(r.input.len() - r.position));
        for _ in 0..n {
            out.push(T::decode(r)?);
        }
        Ok(out)
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.encode(out);
            }
        }
    }
}
impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        match r.take(1)?[0] {
            0 => Ok(None),
            1 => Ok(Some(T::decode(r)?)),
            _ => Err(DecodeError("an optional byte that is not 0 or 1")),
        }
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out);
    }
}

macro_rules! tuples {
    ($(($($n:ident),*)),*) => {$(
        #[allow(non_snake_case, unused_variables)]
        impl<$($n: Encode),*> Encode for ($($n,)*) {
            fn encode(&self, out: &mut Vec<u8>) {
                let ($($n,)*) = self;
                $($n.encode(out);)*
            }
        }
        #[allow(unused_variables)]
        impl<$($n: Decode),*> Decode for ($($n,)*) {
            fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
                Ok(($($n::decode(r)?,)*))
            }
        }
    )*};
}
for_tuples!(tuples);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_encode_as_the_cpp_sdk_encodes_them() {
        // ("tea", 2u32): a u32 length, the bytes, then the number, little-endian.
        assert_eq!(
            to_bytes(&("tea".to_string(), 2u32)),
            [3, 0, 0, 0, b't', b'e', b'a', 2, 0, 0, 0]
        );
        assert_eq!(to_bytes(&-2i16), [0xfe, 0xff]);
        assert_eq!(to_bytes(&Some(true)), [1, 1]);
        assert_eq!(to_bytes(&None::<u8>), [0]);
        assert_eq!(to_bytes(&vec![1u8, 2]), [2, 0, 0, 0, 1, 2]);
        assert_eq!(to_bytes(&Bytes(vec![9])), [1, 0, 0, 0, 9]);
        assert_eq!(to_bytes(&1.5f64), 1.5f64.to_le_bytes());
        assert_eq!(to_bytes(&()), [0u8; 0]);
    }

    #[test]
    fn values_round_trip() {
        let value = (
            u64::MAX,
            -7i64,
            "Émile".to_string(),
            vec![Some(1u32), None],
            Bytes(vec![0, 255]),
        );
        let decoded: (u64, i64, String, Vec<Option<u32>>, Bytes) = from_bytes(&to_bytes(&value)).unwrap();
        assert_eq!(decoded, value);
    }

    #[test]
    fn malformed_input_is_refused() {
        assert_eq!(from_bytes::<u32>(&[1, 0, 0]), Err(DecodeError("truncated")));
        assert_eq!(from_bytes::<u8>(&[1, 2]), Err(DecodeError("trailing bytes")));
        assert!(from_bytes::<bool>(&[2]).is_err());
        assert!(from_bytes::<Option<u8>>(&[7, 1]).is_err());
        assert!(from_bytes::<String>(&[2, 0, 0, 0, 0xff, 0xfe]).is_err());
        // A length beyond the input allocates nothing and is refused.
        assert!(from_bytes::<String>(&[0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(from_bytes::<Vec<u64>>(&[0xff, 0xff, 0xff, 0x7f, 1]).is_err());
    }
}
