// `sqlx::migrate!` embeds the migrations at compile time: rebuild when one
// is added, renamed or changed, or a stale binary migrates the old set.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
