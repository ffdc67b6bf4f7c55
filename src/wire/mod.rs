//! How values travel in requests and answers, whichever door they come through: JSON read with
//! the path of the field that failed, fields sent as `null` told from fields left out, lists and
//! objects read up to their bound, and CSV cells that a spreadsheet will not run.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::{ApiError, ErrorCode, FieldError};

pub mod paging;

/// Reads JSON, telling apart text that is not JSON (400) from JSON of the wrong shape (422).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer);
    if value.is_ok() {
        // Text after the JSON value.
        deserializer.end().map_err(|e| {
            ApiError::bad_request(
                ErrorCode::MalformedJson,
                format!("The body is not valid JSON: {e}"),
            )
        })?;
    }
    value.map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = without_input(&strip_position(&inner.to_string()));
                let parent = if path == "." { String::new() } else { path };
                // A missing field is reported at its parent; name the field itself.
                let field = match missing_field(&message) {
                    Some(name) if parent.is_empty() => name.to_owned(),
                    Some(name) => format!("{parent}.{name}"),
                    None => parent,
                };
                ApiError::Validation(vec![FieldError { field, message }])
            }
            _ => ApiError::bad_request(
                ErrorCode::MalformedJson,
                format!("The body is not valid JSON: {}", inner),
            ),
        }
    })
}

/// The name in serde's "missing field `name`".
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
}

/// serde's messages quote the text that did not fit ("unknown variant `<b>`"); the client sent
/// it and the field path already says where, so the answer does not repeat it.
fn without_input(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some(at) = rest.rfind("`, expected")
    {
        return format!("unknown value{}", &rest[at + 1..]);
    }
    for (prefix, replacement) in [
        ("invalid type: string \"", "invalid type: a string"),
        ("invalid value: string \"", "invalid value"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(at) = rest.rfind("\", expected")
        {
            return format!("{replacement}{}", &rest[at + 1..]);
        }
    }
    message.to_owned()
}

/// serde_json appends "at line 1 column 9"; the field path says more to a client.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// A `LIKE` pattern that matches any text containing `text` as it is, its `%`, `_` and backslash
/// escaped; use it with `.escape('\\')`.
pub fn like_containing(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A text cell that a spreadsheet will not run as a formula: text that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading apostrophe.
pub fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A JSON array of at most `N` items, for `#[serde(deserialize_with = "at_most::<_, _, N>")]`
/// on a list in a request: a longer one is refused (422 naming the field) as soon as item
/// `N + 1` is seen, so neither that item nor any after it is read, checked or reported. The
/// contract states the same bound as `maxItems`, and a contract test requires one on every list.
pub fn at_most<'de, D, T, const N: usize>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_seq(Bounded::<T, N>(std::marker::PhantomData))
}

/// [`at_most`] for a list that may be left out or sent as `null` (use with `#[serde(default)]`).
pub fn optional_at_most<'de, D, T, const N: usize>(
    deserializer: D,
) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct List<T, const N: usize>(Vec<T>);
    impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for List<T, N> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            at_most::<D, T, N>(deserializer).map(List)
        }
    }
    Option::<List<T, N>>::deserialize(deserializer).map(|list| list.map(|l| l.0))
}

/// A JSON object of at most `N` members, such as amounts by financial year, for
/// `#[serde(default, deserialize_with = "optional_map_at_most::<_, _, _, N>")]`: as
/// [`at_most`], a larger one is refused as soon as member `N + 1` is seen. The contract states
/// the bound as `maxProperties`.
pub fn optional_map_at_most<'de, D, K, V, const N: usize>(
    deserializer: D,
) -> Result<Option<std::collections::BTreeMap<K, V>>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    struct Map<K, V, const N: usize>(std::collections::BTreeMap<K, V>);
    impl<'de, K, V, const N: usize> Deserialize<'de> for Map<K, V, N>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
    {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer
                .deserialize_map(BoundedMap::<K, V, N>(std::marker::PhantomData))
                .map(|entries| Map(entries.into_iter().collect()))
        }
    }
    Option::<Map<K, V, N>>::deserialize(deserializer).map(|map| map.map(|m| m.0))
}

/// [`optional_map_at_most`] for a map that left out or `null` is empty.
pub fn map_at_most<'de, D, K, V, const N: usize>(
    deserializer: D,
) -> Result<std::collections::BTreeMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    optional_map_at_most::<D, K, V, N>(deserializer).map(Option::unwrap_or_default)
}

/// Amounts by financial year as a request sends them, at most [`YEARS_MAX`] years, for
/// `#[serde(default, deserialize_with = "crate::wire::optional_year_amounts")]` beside
/// `#[schema(schema_with = crate::wire::amounts_by_year)]`.
pub fn optional_year_amounts<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<std::collections::BTreeMap<String, String>>, D::Error> {
    optional_map_at_most::<D, String, String, YEARS_MAX>(deserializer)
}

/// How many financial years one request may name amounts for.
pub const YEARS_MAX: usize = 10;

/// The contract of amounts by financial year, as [`optional_map_at_most`] reads them with a
/// bound of 10: an object (or `null`) of at most 10 members, each a `Money`.
pub fn amounts_by_year() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, SchemaType, Type};
    use utoipa::openapi::{Ref, RefOr};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::Ref(
            Ref::from_schema_name("Money"),
        ))))
        .property_names(Some(
            ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)),
        ))
        .max_properties(Some(YEARS_MAX))
        .description(Some(
            "An amount for each financial year, e.g. `{\"2021-22\": \"40000.00\"}`; at most 10 \
             years. On an application it replaces the whole request when sent; on a decision it \
             is the award's (award only).",
        ))
        .build()
}

/// Reads a list and refuses its `N + 1`th item.
struct Bounded<T, const N: usize>(std::marker::PhantomData<T>);

/// Reads an object and refuses its `N + 1`th member.
struct BoundedMap<K, V, const N: usize>(std::marker::PhantomData<(K, V)>);

impl<'de, T: Deserialize<'de>, const N: usize> serde::de::Visitor<'de> for Bounded<T, N> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a list of at most {N} items")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(N));
        while items.len() < N {
            match seq.next_element()? {
                Some(item) => items.push(item),
                None => return Ok(items),
            }
        }
        match seq.next_element::<serde::de::IgnoredAny>()? {
            Some(_) => Err(serde::de::Error::custom(format!(
                "must list at most {N} items"
            ))),
            None => Ok(items),
        }
    }
}

impl<'de, K, V, const N: usize> serde::de::Visitor<'de> for BoundedMap<K, V, N>
where
    K: Deserialize<'de>,
    V: Deserialize<'de>,
{
    type Value = Vec<(K, V)>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an object of at most {N} members")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Vec<(K, V)>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(N));
        while entries.len() < N {
            match map.next_entry()? {
                Some(entry) => entries.push(entry),
                None => return Ok(entries),
            }
        }
        match map.next_key::<serde::de::IgnoredAny>()? {
            Some(_) => Err(serde::de::Error::custom(format!(
                "must have at most {N} members"
            ))),
            None => Ok(entries),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u32,
    }

    #[test]
    fn messages_do_not_repeat_the_input() {
        assert_eq!(
            without_input("unknown variant `<b>x</b>`, expected `award` or `decline`"),
            "unknown value, expected `award` or `decline`"
        );
        assert_eq!(
            without_input("invalid type: string \"'; DROP\", expected u32"),
            "invalid type: a string, expected u32"
        );
        assert_eq!(
            without_input("invalid value: string \"x\", expected a date"),
            "invalid value, expected a date"
        );
        assert_eq!(
            without_input("missing field `name`"),
            "missing field `name`"
        );
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_are_422_with_the_field() {
        let e = parse_json::<Body>(b"{\"name\": ").err();
        assert_eq!(e.map(|e| e.code()), Some(ErrorCode::MalformedJson));
        match parse_json::<Body>(br#"{"name": "x", "count": "three"}"#) {
            Err(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "count"),
            other => panic!("unexpected {other:?}"),
        }
        match parse_json::<Body>(br#"{"name": "x", "count": 1, "extra": 2}"#) {
            Err(ApiError::Validation(errors)) => assert!(errors[0].message.contains("extra")),
            other => panic!("unexpected {other:?}"),
        }
        assert!(parse_json::<Body>(br#"{"name": "x", "count": 1} trailing"#).is_err());
        assert!(parse_json::<Body>(b"\xff\xfe").is_err());
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Lists {
        #[serde(deserialize_with = "at_most::<_, _, 3>")]
        items: Vec<String>,
        #[serde(default, deserialize_with = "optional_at_most::<_, _, 2>")]
        maybe: Option<Vec<u8>>,
        #[serde(default, deserialize_with = "optional_map_at_most::<_, _, _, 2>")]
        amounts: Option<std::collections::BTreeMap<String, String>>,
    }

    fn refused_field(body: &str) -> Option<(String, String)> {
        match parse_json::<Lists>(body.as_bytes()) {
            Err(ApiError::Validation(errors)) if errors.len() == 1 => {
                Some((errors[0].field.clone(), errors[0].message.clone()))
            }
            _ => None,
        }
    }

    #[test]
    fn lists_and_maps_are_read_up_to_their_bound_and_refused_past_it() {
        let fine = parse_json::<Lists>(
            br#"{"items": ["a", "b", "c"], "maybe": [1, 2], "amounts": {"x": "1", "y": "2"}}"#,
        );
        assert!(fine.is_ok_and(|l| l.items.len() == 3
            && l.maybe.is_some_and(|m| m == [1, 2])
            && l.amounts.is_some_and(|a| a.len() == 2)));
        let absent = parse_json::<Lists>(br#"{"items": [], "maybe": null}"#);
        assert!(
            absent.is_ok_and(|l| l.items.is_empty() && l.maybe.is_none() && l.amounts.is_none())
        );
        assert_eq!(
            refused_field(r#"{"items": ["a", "b", "c", "d"]}"#),
            Some(("items".to_owned(), "must list at most 3 items".to_owned()))
        );
        assert_eq!(
            refused_field(r#"{"items": [], "maybe": [1, 2, 3]}"#),
            Some(("maybe".to_owned(), "must list at most 2 items".to_owned()))
        );
        assert_eq!(
            refused_field(r#"{"items": [], "amounts": {"x": "1", "y": "2", "z": "3"}}"#),
            Some((
                "amounts".to_owned(),
                "must have at most 2 members".to_owned()
            ))
        );
        // Items past the bound are not read: a wrong type there is not what is reported.
        assert_eq!(
            refused_field(r#"{"items": ["a", "b", "c", 4, 5, 6]}"#),
            Some(("items".to_owned(), "must list at most 3 items".to_owned()))
        );
        // An item within the bound is still checked.
        assert_eq!(
            refused_field(r#"{"items": ["a", 2]}"#).map(|(field, _)| field),
            Some("items[1]".to_owned())
        );
    }

    #[test]
    fn csv_text_that_looks_like_a_formula_is_defused() {
        assert_eq!(csv_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_text("+44 1592"), "'+44 1592");
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_text("Bumps & Babies"), "Bumps & Babies");
    }
}
