//! 网上办事 — service items with their guides, the service hall, online applications.
pub mod domain;
pub mod store;
