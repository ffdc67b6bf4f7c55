//! sign_in
