// The migrations are embedded at compile time (`sqlx::migrate!`); rebuild when one is added or
// edited, or a binary would silently run an older schema.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
