//! Rules and types of the fund that know nothing of HTTP.

pub mod clock;
pub mod financial_year;
pub mod identifiers;
pub mod money;
pub mod paging;
pub mod vocabulary;
pub mod weight;

pub use financial_year::FinancialYear;
pub use money::Money;
pub use weight::Weight;
