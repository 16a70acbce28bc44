//! The `onedoor` command: serve the API, sign development tokens, print the schema, import a
//! deployment.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use onedoor::Onedoor;
use onedoor::config::Config;
use onedoor::domain::{Caller, Role, Roles, Scope, StaffId};
use std::path::PathBuf;

/// onedoor: a one-stop government service centre platform.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Configuration file (TOML); see `onedoor.example.toml`. Environment variables
    /// (`ONEDOOR_DATABASE_URL`, `ONEDOOR_LISTEN` …) override it.
    #[arg(long, global = true, env = "ONEDOOR_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL (`sqlite://onedoor.db?mode=rwc`, `postgres://…`); overrides the config.
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serves the GraphQL API (GraphiQL at /graphql in a browser).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080; overrides the config.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Loads the example deployment (Pingliang city + Kongtong district) first.
        #[arg(long)]
        example: bool,
    },
    /// Prints a bearer token signed with the configured key (for development).
    Token {
        /// Centre code, e.g. `pingliang`.
        #[arg(long)]
        centre: String,
        /// Staff id (UUID) or staff code in that centre, e.g. `admin`.
        #[arg(long)]
        staff: String,
        /// Comma-separated roles, e.g. `admin,supervisor`.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
    },
    /// Prints the GraphQL schema (SDL).
    Schema,
    /// The plugin author's kit: build, check, test and replay local-rule plugins.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// Loads a deployment directory (deployment.toml, windows.csv, centres/…, plugins/…) into
    /// the database; what already exists is skipped, so it can run again.
    Import {
        /// The directory.
        dir: PathBuf,
    },
    /// Simulates working days of the example centre (Pingliang + Kongtong) through the API:
    /// kiosks, windows, back offices, citizens and supervisors on a server started in-process
    /// over a fresh database, with a simulated clock; prints the centre's table.
    Simulate {
        /// Working days to simulate.
        #[arg(long, default_value_t = 10, allow_negative_numbers = true)]
        days: u32,
        /// The first day (the first working day on or after it), YYYY-MM-DD.
        #[arg(long, default_value = "2018-03-05")]
        start: chrono::NaiveDate,
        /// Volume factor: 1 is the seed's centre (about 3,000 visitors and 2,100 cases a day);
        /// 0.01 for a quick run, 100 for a province.
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        scale: f64,
        /// The seed of every random choice: the same seed gives the same visits and counts.
        #[arg(long, default_value_t = 2018)]
        seed: u64,
        /// Most HTTP requests in flight at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// An empty database to run on (e.g. `postgres://…`); default: a temporary SQLite file.
        #[arg(long)]
        database: Option<String>,
    },
    /// The tamper-evident audit of the case history and the alerts.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Walks every centre's hash chains (or one centre's) and names the first broken link of
    /// each; exits with failure when a chain is broken.
    Verify {
        /// Only this centre (code).
        #[arg(long)]
        centre: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum PluginCommand {
    /// Builds a plugin crate for wasm32-unknown-unknown and turns it into a component.
    Build {
        /// The plugin crate's folder.
        dir: PathBuf,
    },
    /// Checks a plugin as an upload would: size, component, imports, contract, compilation.
    Check {
        /// The plugin (`.wasm` component).
        file: PathBuf,
    },
    /// Runs JSON fixtures (input and expected output) against a plugin, with fuel, memory and
    /// output size against the limits.
    Test {
        /// The plugin (`.wasm` component).
        file: PathBuf,
        /// The folder of fixtures (`*.json`).
        fixtures: PathBuf,
    },
    /// Re-runs a recorded decision against a plugin and shows what differs: a record from a
    /// file (`replay RECORD.json FILE.wasm`), or from the database
    /// (`replay --database URL --decision ID --against FILE.wasm`; the id is a decision's
    /// `decisionId` in the API).
    Replay {
        /// The decision record (JSON), as the API's `Decision.record` gives it.
        #[arg(required_unless_present = "decision", conflicts_with = "decision")]
        record: Option<PathBuf>,
        /// The plugin to replay it on.
        #[arg(required_unless_present = "against", conflicts_with = "against")]
        file: Option<PathBuf>,
        /// The recorded decision's id (UUID), read from the database.
        #[arg(long, requires = "against")]
        decision: Option<uuid::Uuid>,
        /// The plugin to replay the stored decision on.
        #[arg(long, requires = "decision")]
        against: Option<PathBuf>,
        /// The database holding the decision (defaults to the configured one).
        #[arg(long)]
        database: Option<String>,
    },
}

/// The allocator of the server (see `onedoor_graphql::Allocator`).
#[global_allocator]
static ALLOCATOR: onedoor_graphql::Allocator = onedoor_graphql::Allocator;

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The chain of causes, one line, without a backtrace: this is a message for people.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let cli = Cli::parse();
    // The simulator prints its own progress; the alerts it provokes by the thousand are its
    // subject, not news.
    let quiet = matches!(cli.command, Command::Simulate { .. });
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| if quiet { "error".into() } else { "onedoor=info,warn".into() }),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut config = Config::load(cli.config.as_deref()).context("loading the configuration")?;
    if let Some(url) = cli.database_url {
        config.database_url = url;
    }
    match cli.command {
        Command::Serve { listen, example } => serve(config, listen, example).await,
        Command::Token { centre, staff, roles } => token(config, &centre, &staff, &roles).await,
        Command::Schema => {
            print!("{}", onedoor_graphql::sdl());
            Ok(())
        }
        Command::Plugin {
            command: PluginCommand::Replay { decision: Some(id), against: Some(file), database, .. },
        } => {
            if let Some(url) = database {
                config.database_url = url;
            }
            replay_stored(&config, id, &file).await
        }
        Command::Plugin { command } => plugin(command),
        Command::Audit { command: AuditCommand::Verify { centre } } => audit(&config, centre.as_deref()).await,
        Command::Simulate { days, start, scale, seed, concurrency, database } => {
            let opts =
                onedoor_graphql::simulate::Options { days, start, scale, seed, concurrency, database, progress: true };
            let report = onedoor_graphql::simulate::run(&opts).await?;
            println!("{report}");
            if !report.agrees() {
                bail!("the simulator's counts and the API's statistics differ, or requests failed");
            }
            Ok(())
        }
        Command::Import { dir } => {
            let od = open(&config).await?;
            let d = onedoor::import::Deployment::from_dir(&dir).map_err(|e| anyhow::anyhow!("{e}"))?;
            let report = import(&od, &d).await?;
            println!("{report}");
            Ok(())
        }
    }
}

fn plugin(command: PluginCommand) -> Result<()> {
    use onedoor_plugin_host::{DecisionRecord, HostConfig, PluginHost, kit};
    let read = |p: &PathBuf| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    match command {
        PluginCommand::Build { dir } => {
            let out = kit::build(&dir)?;
            println!("{}", out.display());
            Ok(())
        }
        PluginCommand::Check { file } => {
            let host = PluginHost::new(HostConfig::default())?;
            let report = kit::check(&host, &read(&file)?);
            print!("{report}");
            if !report.passed() {
                bail!("{} does not pass the checks", file.display());
            }
            Ok(())
        }
        PluginCommand::Test { file, fixtures } => {
            let host = PluginHost::new(HostConfig::default())?;
            let report = kit::test_fixtures(&host, &read(&file)?, &fixtures)?;
            print!("{report}");
            if !report.passed() {
                bail!("some fixtures failed");
            }
            Ok(())
        }
        PluginCommand::Replay { record: Some(record), file: Some(file), .. } => {
            let text = std::fs::read_to_string(&record).with_context(|| format!("reading {}", record.display()))?;
            let record = DecisionRecord::from_json(&text)?;
            show_replay(&record, &read(&file)?)
        }
        PluginCommand::Replay { .. } => {
            bail!("give a record file and a plugin, or --decision ID --against FILE.wasm")
        }
    }
}

/// Replays `record` against the plugin in `component` and prints the difference.
fn show_replay(record: &onedoor_plugin_host::DecisionRecord, component: &[u8]) -> Result<()> {
    let host = onedoor_plugin_host::PluginHost::new(onedoor_plugin_host::HostConfig::default())?;
    let plugin = host.load(component)?;
    let diff = onedoor_plugin_host::replay(record, &plugin);
    if diff.is_empty() {
        println!("same decision ({} → {})", diff.before, diff.after);
    } else {
        print!("{diff}");
    }
    Ok(())
}

/// Replays a decision stored in the database against a plugin file.
async fn replay_stored(config: &Config, id: uuid::Uuid, file: &std::path::Path) -> Result<()> {
    let component = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let od = open(config).await?;
    let (decision, diff) = od
        .replay_decision(onedoor::domain::id::DecisionId(id), component)
        .await
        .map_err(|e| anyhow::anyhow!("{} ({})", e, e.code()))?;
    match &decision.subject {
        Some(subject) => println!("decision {id} about {subject}, recorded {}", decision.at),
        None => println!("decision {id}, recorded {}", decision.at),
    }
    if diff.is_empty() {
        println!("same decision ({} → {})", diff.before, diff.after);
    } else {
        print!("{diff}");
    }
    Ok(())
}

/// Verifies the hash chains and prints one line per chain.
async fn audit(config: &Config, centre: Option<&str>) -> Result<()> {
    let od = open(config).await?;
    let centres = od.centres().await?;
    let chosen: Vec<_> = match centre {
        Some(code) => {
            let c = centres.iter().find(|c| c.code.as_str() == code);
            vec![c.with_context(|| format!("no centre has the code `{code}`"))?.clone()]
        }
        None => centres,
    };
    let mut broken = 0;
    for c in &chosen {
        for check in od.store().verify_chains(c.id).await? {
            match &check.broken {
                None => println!(
                    "{:<12} {:<7} ok      {:>8} events  head {}",
                    c.code.as_str(),
                    check.chain.as_str(),
                    check.events,
                    check.head
                ),
                Some(b) => {
                    broken += 1;
                    println!(
                        "{:<12} {:<7} BROKEN  at {} ({}): {}; {} events verified before it",
                        c.code.as_str(),
                        check.chain.as_str(),
                        b.seq,
                        b.reason.as_str(),
                        b.record,
                        check.events
                    );
                }
            }
        }
    }
    if broken > 0 {
        bail!("{broken} chain(s) broken");
    }
    Ok(())
}

async fn open(config: &Config) -> Result<Onedoor> {
    Onedoor::open(&config.database_url)
        .await
        .with_context(|| format!("opening the database {}", config.database_url_redacted()))
}

async fn import(od: &Onedoor, d: &onedoor::import::Deployment) -> Result<onedoor::import::ImportReport> {
    use std::io::IsTerminal;
    let live = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let report = onedoor::import::import(od, d, &mut |p| {
        // A live bar on a terminal; one line per finished step in a log.
        if live {
            eprint!("\r{:<10} {:>5}/{:<5}", p.step, p.done, p.total);
        }
        if p.done == p.total {
            if live {
                eprintln!();
            } else {
                eprintln!("{:<10} {:>5}/{:<5}", p.step, p.done, p.total);
            }
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("imported in {:.2} s", started.elapsed().as_secs_f64());
    Ok(report)
}

async fn serve(config: Config, listen: Option<std::net::SocketAddr>, example: bool) -> Result<()> {
    let listen = listen.unwrap_or(config.listen);
    let od = open(&config).await?;
    if example {
        let d = onedoor::import::Deployment::from_files(onedoor_tenants_example::PINGLIANG)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let report = import(&od, &d).await?;
        tracing::info!("example deployment loaded:\n{report}");
    }
    let verifier = config.auth.verifier().context("loading the token verification key")?;
    // Electronic supervision: on every case event and every minute.
    let _supervisor = od.spawn_supervisor(std::time::Duration::from_secs(60));
    let app = onedoor_graphql::app(od, verifier, &config.limits);
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
    tracing::info!("onedoor serving on http://{listen}/graphql (database {})", config.database_url_redacted());
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
    Ok(())
}

async fn shutdown() {
    // If the signal handler cannot be installed, run until killed.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn token(config: Config, centre: &str, staff: &str, roles: &[String]) -> Result<()> {
    if let Err(bad) = Roles::parse(roles.iter().map(String::as_str)) {
        bail!("`{bad}` is not a role; roles are admin, window_clerk, approver, unit_lead, guide, supervisor");
    }
    let staff_id = match uuid::Uuid::parse_str(staff) {
        Ok(id) => id.to_string(),
        Err(_) => {
            // A staff code: look the member of staff up in the configured database.
            let od = open(&config).await?;
            let Some(c) = od.centre_by_code(centre).await? else {
                bail!("no centre has the code `{centre}`");
            };
            let system = Caller::Staff(Scope {
                centre: c.id,
                staff: StaffId::SYSTEM,
                roles: Roles::NONE.with(Role::Admin),
                supervised: Vec::new(),
            });
            match od.staff_by_code(&system, c.id, staff).await? {
                Some(s) => s.id.to_string(),
                None => bail!("centre `{centre}` has no member of staff with the code `{staff}`"),
            }
        }
    };
    let signer = config.auth.signer().context("loading the signing key")?;
    let now = chrono::Utc::now().timestamp();
    println!("{}", signer.issue(&staff_id, centre, roles, now).map_err(|e| anyhow::anyhow!("{e}"))?);
    Ok(())
}
