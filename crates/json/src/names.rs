//! JSON keys as Avro names: a key is any string, an Avro name is `[A-Za-z_][A-Za-z0-9_]*`.

use std::borrow::Cow;

/// The Avro name a JSON key is read as: each character outside `[A-Za-z0-9_]` becomes `_`,
/// a leading digit gets a `_` before it, and the empty key is `_`. `deviceId` stays
/// `deviceId`, `user-id` is `user_id`, `2fa` is `_2fa`. Field paths (`a.b`) and recorded
/// column sources use these names; two keys of one object with the same name are one field,
/// the later in the document wins.
pub fn avro_name(key: &str) -> Cow<'_, str> {
    let valid =
        |i: usize, b: u8| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit());
    if !key.is_empty() && key.bytes().enumerate().all(|(i, b)| valid(i, b)) {
        return Cow::Borrowed(key);
    }
    let mut name = String::with_capacity(key.len() + 1);
    if key.is_empty() || key.starts_with(|c: char| c.is_ascii_digit()) {
        name.push('_');
    }
    name.extend(key.chars().map(|c| {
        if c == '_' || c.is_ascii_alphanumeric() {
            c
        } else {
            '_'
        }
    }));
    Cow::Owned(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_avro_names() {
        for (key, name) in [
            ("deviceId", "deviceId"),
            ("user-id", "user_id"),
            ("a.b", "a_b"),
            ("2fa", "_2fa"),
            ("", "_"),
            ("é", "_"),
            ("_x9", "_x9"),
        ] {
            assert_eq!(avro_name(key), name, "{key}");
        }
    }
}
