//! Rules and types of the fund that know nothing of HTTP.

/// Makes a type that has `parse(&str) -> Result<Self, E>` and `Display` travel in JSON as a
/// string, and describes that string in the OpenAPI document.
macro_rules! text_value {
    ($name:ident, pattern = $pattern:expr, example = $example:expr, description = $description:expr $(,)?) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some($pattern))
                    .description(Some($description))
                    .examples([$example])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use text_value;

pub mod bank;
pub mod clock;
pub mod financial_year;
pub mod identifiers;
pub mod money;
pub mod schedule;
pub mod scoring;
pub mod suppression;
pub mod vocabulary;
pub mod weight;

pub use financial_year::FinancialYear;
pub use money::Money;
pub use scoring::Percent;
pub use weight::Weight;
