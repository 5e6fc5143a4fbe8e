use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    congdanso::allocator::cap_arenas();
    let cli = congdanso::cli::Cli::parse();
    match actix_web::rt::System::new().block_on(congdanso::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // One line, even when a driver's message spans several, so it reads well in any log.
            let message: Vec<&str> = message.split_whitespace().collect();
            eprintln!("error: {}", message.join(" "));
            ExitCode::from(2)
        }
    }
}
