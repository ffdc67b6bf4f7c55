//! What both front doors call when one step spans features or needs the running service's
//! state: the steps of the grant cycle in which a later feature acts inside an earlier one's
//! transaction, and the sign-in, registration and reset flows with their rate limits.

pub mod accounts;
pub mod grant_cycle;
