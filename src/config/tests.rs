//! How settings are read from the environment and checked.

use super::*;
use clap::Parser;

#[derive(clap::Parser)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

fn config(args: &[&str]) -> Config {
    let mut all = vec!["grantfund"];
    all.extend_from_slice(args);
    Cli::parse_from(all).config
}

#[test]
fn every_variable_is_named_after_its_field_and_listed_in_the_readme() {
    use clap::CommandFactory;
    let readme = include_str!("../../README.md");
    let command = Cli::command();
    let mut read = 0;
    for arg in command.get_arguments() {
        let Some(env) = arg.get_env() else { continue };
        read += 1;
        let env = env.to_string_lossy();
        assert_eq!(env, arg.get_id().as_str().to_uppercase());
        assert!(
            readme.contains(&format!("| `{env}` |")),
            "{env} is missing from the README's configuration table"
        );
    }
    assert!(read >= 29, "only {read} variables read");
}

#[test]
fn cors_origins_are_exact_origins_or_refused() {
    assert_eq!(parse_origins(""), Ok(vec![]));
    assert_eq!(
        parse_origins("https://portal.example.org, http://localhost:3000"),
        Ok(vec![
            "https://portal.example.org".to_owned(),
            "http://localhost:3000".to_owned()
        ])
    );
    for bad in [
        "*",
        "portal.example.org",
        "https://portal.example.org/",
        "ftp://x.org",
        "https://x.org/path",
    ] {
        assert_eq!(
            parse_origins(bad),
            Err(ConfigError::CorsOrigin(bad.to_owned())),
            "{bad}"
        );
    }
}

#[test]
fn production_refuses_a_missing_default_or_short_secret() {
    let mut c = config(&["--app-env", "production"]);
    c.jwt_secret = None;
    assert_eq!(
        Settings::from_config(c.clone()).err(),
        Some(ConfigError::MissingSecret)
    );
    c.jwt_secret = Some(DEVELOPMENT_JWT_SECRET.into());
    assert_eq!(
        Settings::from_config(c.clone()).err(),
        Some(ConfigError::DefaultSecret)
    );
    c.jwt_secret = Some("short".into());
    assert_eq!(
        Settings::from_config(c.clone()).err(),
        Some(ConfigError::ShortSecret(5))
    );
    c.jwt_secret = Some("x".repeat(32));
    c.data_encryption_key = Some(format!("live:{}", "A".repeat(43) + "="));
    assert!(Settings::from_config(c).is_ok());
}

#[test]
fn production_refuses_a_missing_or_development_data_key() {
    use base64::Engine;
    let mut c = config(&["--app-env", "production"]);
    c.jwt_secret = Some("x".repeat(32));
    c.data_encryption_key = None;
    assert_eq!(
        Settings::from_config(c.clone()).err(),
        Some(ConfigError::MissingDataKey)
    );
    let development =
        base64::engine::general_purpose::STANDARD.encode(DataKey::development().bytes());
    c.data_encryption_key = Some(format!("mine:{development}"));
    assert_eq!(
        Settings::from_config(c.clone()).err(),
        Some(ConfigError::DevelopmentDataKey)
    );
    c.data_encryption_key = Some("live:c2hvcnQ=".into());
    assert!(matches!(
        Settings::from_config(c.clone()).err(),
        Some(ConfigError::DataKey("DATA_ENCRYPTION_KEY", _))
    ));
    let mut d = config(&[]);
    d.jwt_secret = None;
    d.data_encryption_key = None;
    let keys = Settings::from_config(d).map(|s| s.data_keys.current.id().to_owned());
    assert_eq!(keys, Ok(DEVELOPMENT_DATA_KEY_ID.to_owned()));
}

#[test]
fn development_falls_back_to_the_development_secret() {
    let mut c = config(&[]);
    c.jwt_secret = None;
    let settings = Settings::from_config(c).map_err(|e| e.to_string());
    assert_eq!(
        settings.map(|s| s.jwt_secret.expose_secret().to_owned()),
        Ok(DEVELOPMENT_JWT_SECRET.to_owned())
    );
}

#[test]
fn trusted_proxies_are_addresses_or_networks() {
    let mut c = config(&["--trusted-proxies", "10.0.0.0/8, 192.0.2.1"]);
    c.jwt_secret = None;
    assert_eq!(
        Settings::from_config(c).map(|s| s.trusted_proxies.len()),
        Ok(2)
    );
    let c = config(&["--trusted-proxies", "10.0.0.0/8,nope"]);
    assert_eq!(
        Settings::from_config(c).err(),
        Some(ConfigError::TrustedProxy("nope".to_owned()))
    );
}

#[test]
fn defaults_follow_the_design() {
    let s = Settings::for_database("sqlite://grantfund.db").expect("default settings");
    assert_eq!(s.bind_addr, "127.0.0.1:8080");
    assert_eq!(s.access_token_ttl, Duration::from_secs(900));
    assert_eq!(s.mail_dir, PathBuf::from("./mail"));
    assert_eq!(s.database_kind(), "sqlite");
    assert!(s.smtp_url.is_none());
    assert_eq!(s.public_url, "http://127.0.0.1:8080");
    assert!(!s.public_url_set);
    assert_eq!(s.assets_dir, None, "the assets built into the binary");
}

#[test]
fn the_public_url_is_the_address_bound_unless_given() {
    let bound = |text: &str| url_of(text.parse().expect("a socket address"));
    assert_eq!(bound("127.0.0.1:43117"), "http://127.0.0.1:43117");
    assert_eq!(bound("0.0.0.0:8081"), "http://127.0.0.1:8081");
    assert_eq!(bound("[::]:8082"), "http://localhost:8082");
    assert_eq!(bound("[::1]:8083"), "http://[::1]:8083");
    assert_eq!(bound("192.0.2.7:80"), "http://192.0.2.7:80");
    assert_eq!(url_of_bind_addr("localhost:9000"), "http://localhost:9000");

    let mut c = config(&["--bind-addr", "0.0.0.0:9090"]);
    c.jwt_secret = None;
    c.public_url = None;
    let mut s = Settings::from_config(c).expect("settings");
    assert_eq!(
        s.public_url, "http://127.0.0.1:9090",
        "before binding, BIND_ADDR"
    );
    s.bound_to("0.0.0.0:40123".parse().expect("an address"));
    assert_eq!(
        s.public_url, "http://127.0.0.1:40123",
        "the port actually bound"
    );

    let mut c = config(&["--public-url", "https://grants.example.org/"]);
    c.jwt_secret = None;
    let mut s = Settings::from_config(c).expect("settings");
    s.bound_to("127.0.0.1:40124".parse().expect("an address"));
    assert_eq!(
        s.public_url, "https://grants.example.org",
        "PUBLIC_URL wins"
    );
    assert!(s.public_url_set);
}
