//! The integration suite: a real server over HTTP, on SQLite by default and on PostgreSQL when
//! `ONEDOOR_TEST_DATABASE_URL` is set. One binary, one module per feature.

#![allow(clippy::unwrap_used)]

mod audit;
mod auth;
mod bad_input;
mod cases;
mod catalogue;
mod crate_graph;
mod evaluation;
mod example;
mod hall;
mod isolation;
mod organisation;
mod plugins;
mod registry;
mod schema;
mod simulation;
mod subscriptions;
mod world;
