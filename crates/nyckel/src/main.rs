//! The `nyckel` binary. See the library's top doc and `nyckel --help`.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = nyckel::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(nyckel::EXIT_FAILURE);
        }
    };
    match runtime.block_on(nyckel::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(nyckel::EXIT_FAILURE)
        }
    }
}
