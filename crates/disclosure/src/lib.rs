//! 政府信息公开 (《中华人民共和国政府信息公开条例》, 国务院令第711号): disclosure on request with
//! the regulation's clock, the outcomes of the 2021 annual-report format (国办公开办函〔2021〕30号)
//! and the report's table 三 computed from them. This first part is the pure domain (`domain`);
//! the catalogue, guides, request pages, store and module wiring build on it.

pub mod domain;
