//! What both front doors call when one step spans features: the steps of the grant cycle in
//! which a later feature acts inside an earlier one's transaction.

pub mod grant_cycle;
