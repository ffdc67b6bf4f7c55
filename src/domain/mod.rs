//! Rules and types of the fund that know nothing of HTTP.

pub mod clock;
pub mod identifiers;
pub mod money;
pub mod paging;
pub mod vocabulary;

pub use money::Money;
