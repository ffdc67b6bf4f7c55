//! The command line's tools, apart from the service: the demo's model case (`serve --demo`,
//! `demo credentials`) and the scale seed (`seed scale`). Nothing in the service imports them;
//! `main` and the tests call these entry points, and everything else in them is private.

pub mod demo;
pub mod seed;
