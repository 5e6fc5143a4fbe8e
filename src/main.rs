use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = congdanso::cli::Cli::parse();
    match actix_web::rt::System::new().block_on(congdanso::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
