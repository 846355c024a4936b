//! The integration suite as one test binary (one link instead of one per file, so the suite stays
//! fast as subsystems are added): each module drives the real router on SQLite and, through
//! `backend_tests!`, on PostgreSQL. `common` is the harness.

#[macro_use]
mod common;

mod cms;
mod courseware;
mod data;
mod disclosure;
mod duty;
mod interaction;
mod library;
mod links;
mod listings;
mod live;
mod map;
mod meetings;
mod office;
mod participation;
mod platform;
mod population;
mod proposals;
mod ratings;
mod reporting;
mod search;
mod services;
mod subscriptions;
mod supervision;
mod tls;
