//! What both front doors call when one step spans features or needs the running service's
//! state: the steps of the grant cycle in which a later feature acts inside an earlier one's
//! transaction, the sign-in, registration and reset flows with their rate limits, and reading a
//! fund's report through the kept copies, the open datasets with their checksums, and
//! documents, which attach to the objects of several features and are stored before their rows
//! are committed.

pub mod accounts;
pub mod documents;
pub mod grant_cycle;
pub mod publication;
pub mod reports;
pub mod second_factor;
