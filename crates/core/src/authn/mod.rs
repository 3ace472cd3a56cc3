//! Authentication: the login flow's states and transitions ([`flow`]).
//! Pure: what the flow may do next is decided here; the service layer
//! reads and writes the database around it.

pub mod flow;
