//! The deployment examples in `deploy/` (deploy/README.md): every YAML document parses, the
//! Kubernetes manifests have what running the portal safely needs (non-root, read-only root
//! filesystem, probes, secrets from the Secret), the configs in them load with the portal's own
//! config loader, and the pieces agree with each other and with deploy/Dockerfile (ports,
//! paths, env: names, the user). No container is built or run here.

use serde::Deserialize;
use serde_json::Value;
use server::audit::StoreKind;
use server::config::{Config, Mode};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

fn read(relative: &str) -> String {
    let path = deploy_dir().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every YAML document in `text` as JSON (merge keys `<<: *anchor` applied), empty ones left out.
fn documents(text: &str, origin: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|doc| {
            let mut value = serde_yaml_ng::Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{origin} is not valid YAML: {e}"));
            value
                .apply_merge()
                .unwrap_or_else(|e| panic!("{origin}: merge keys: {e}"));
            serde_json::to_value(value).unwrap_or_else(|e| panic!("{origin}: {e}"))
        })
        .filter(|v| !v.is_null())
        .collect()
}

/// The value at a JSON pointer, or a failure naming what is missing.
fn at<'a>(value: &'a Value, pointer: &str, what: &str) -> &'a Value {
    value
        .pointer(pointer)
        .unwrap_or_else(|| panic!("{what}: missing {pointer}"))
}

fn text<'a>(value: &'a Value, pointer: &str, what: &str) -> &'a str {
    at(value, pointer, what)
        .as_str()
        .unwrap_or_else(|| panic!("{what}: {pointer} is not a string"))
}

/// Every document of every `deploy/k8s/*.yaml`, with its file name.
fn k8s_documents() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(deploy_dir().join("k8s"))
        .expect("deploy/k8s exists")
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no manifests in deploy/k8s");
    files
        .iter()
        .flat_map(|path| {
            let name = format!("deploy/k8s/{}", path.file_name().unwrap().to_string_lossy());
            let text = std::fs::read_to_string(path).unwrap();
            documents(&text, &name)
                .into_iter()
                .map(move |doc| (name.clone(), doc))
        })
        .collect()
}

/// The one Kubernetes object of `kind`.
fn k8s_object(kind: &str) -> Value {
    let mut found: Vec<Value> = k8s_documents()
        .into_iter()
        .filter(|(_, doc)| doc["kind"] == kind)
        .map(|(_, doc)| doc)
        .collect();
    assert_eq!(found.len(), 1, "expected exactly one {kind} in deploy/k8s");
    found.remove(0)
}

/// The portal container of the Deployment.
fn portal_container(deployment: &Value) -> &Value {
    let containers = at(deployment, "/spec/template/spec/containers", "Deployment")
        .as_array()
        .expect("containers is a list");
    assert_eq!(containers.len(), 1, "one container: the portal");
    &containers[0]
}

/// `--config FILE` from a container's command line.
fn config_argument(args: &Value, what: &str) -> String {
    let args: Vec<&str> = args
        .as_array()
        .unwrap_or_else(|| panic!("{what}: arguments are a list"))
        .iter()
        .map(|a| a.as_str().expect("arguments are strings"))
        .collect();
    let i = args
        .iter()
        .position(|a| *a == "--config")
        .unwrap_or_else(|| panic!("{what}: no --config in {args:?}"));
    args.get(i + 1)
        .unwrap_or_else(|| panic!("{what}: --config without a file"))
        .to_string()
}

/// The `NAME`s of every `env:NAME` secret in a TOML text.
fn env_secret_names(toml_text: &str) -> BTreeSet<String> {
    toml_text
        .split("\"env:")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// The container's volume mounts as (mount path, volume name, read-only, subPath).
fn mounts(container: &Value) -> Vec<(String, String, bool, Option<String>)> {
    at(container, "/volumeMounts", "portal container")
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                text(m, "/mountPath", "volumeMount").to_owned(),
                text(m, "/name", "volumeMount").to_owned(),
                m["readOnly"].as_bool().unwrap_or(false),
                m["subPath"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// The pod volume called `name`.
fn volume<'a>(deployment: &'a Value, name: &str) -> &'a Value {
    at(deployment, "/spec/template/spec/volumes", "Deployment")
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("Deployment: no volume {name:?}"))
}

/// The runtime stage of deploy/Dockerfile: the lines after its last `FROM`, continuation
/// lines joined.
fn dockerfile_runtime_stage() -> Vec<String> {
    let text = read("Dockerfile").replace("\\\n", " ");
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let last_from = lines
        .iter()
        .rposition(|l| l.starts_with("FROM "))
        .expect("deploy/Dockerfile has a FROM");
    assert!(
        lines.iter().filter(|l| l.starts_with("FROM ")).count() >= 2,
        "deploy/Dockerfile is multi-stage (the toolchain stays out of the runtime image)"
    );
    lines[last_from..].to_vec()
}

/// The argument of the runtime stage's instruction `name` (the last one).
fn instruction(stage: &[String], name: &str) -> String {
    stage
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("deploy/Dockerfile's runtime stage has no {name}"))
        .trim()
        .to_owned()
}

/// Where the runtime stage copies the built site to.
fn dockerfile_site_root(stage: &[String]) -> String {
    stage
        .iter()
        .find_map(|l| l.strip_prefix("COPY --from=build /out/site "))
        .expect("deploy/Dockerfile copies the built site from the build stage")
        .trim()
        .to_owned()
}

fn path_is_under(path: &Path, dir: &str) -> bool {
    path.starts_with(dir)
}

#[test]
fn every_kubernetes_document_names_its_api_version_kind_and_name() {
    let docs = k8s_documents();
    for (file, doc) in &docs {
        for key in ["/apiVersion", "/kind", "/metadata/name"] {
            assert!(
                !text(doc, key, file).trim().is_empty(),
                "{file}: {key} is empty"
            );
        }
    }
    let kinds: BTreeSet<&str> = docs
        .iter()
        .map(|(_, d)| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "ConfigMap",
            "Deployment",
            "PodDisruptionBudget",
            "Secret",
            "Service"
        ])
    );
}

#[test]
fn the_deployment_runs_non_root_on_a_read_only_root_filesystem_with_both_probes() {
    let deployment = k8s_object("Deployment");
    let what = "Deployment";
    assert!(
        at(&deployment, "/spec/replicas", what).as_u64().unwrap() >= 2,
        "at least two replicas"
    );
    assert_eq!(
        at(
            &deployment,
            "/spec/template/spec/securityContext/runAsNonRoot",
            what
        ),
        &Value::Bool(true)
    );
    let container = portal_container(&deployment);
    let security = at(container, "/securityContext", "portal container");
    assert_eq!(security["readOnlyRootFilesystem"], Value::Bool(true));
    assert_eq!(security["runAsNonRoot"], Value::Bool(true));
    assert_eq!(security["allowPrivilegeEscalation"], Value::Bool(false));

    // The user the image declares is the one the pod runs as.
    let user = instruction(&dockerfile_runtime_stage(), "USER");
    let uid = user.split(':').next().unwrap();
    assert_eq!(
        security["runAsUser"]
            .as_u64()
            .map(|u| u.to_string())
            .as_deref(),
        Some(uid),
        "runAsUser is the Dockerfile's USER"
    );

    let container_port = at(container, "/ports/0/containerPort", "portal container")
        .as_u64()
        .unwrap();
    let port_name = text(container, "/ports/0/name", "portal container");
    for probe in ["livenessProbe", "readinessProbe"] {
        let get = at(container, &format!("/{probe}/httpGet"), "portal container");
        assert!(
            text(get, "/path", probe).starts_with('/'),
            "{probe} asks a path"
        );
        let port = &get["port"];
        assert!(
            port.as_str() == Some(port_name) || port.as_u64() == Some(container_port),
            "{probe} asks the portal's port, not {port}"
        );
    }
    for bound in ["/resources/requests/memory", "/resources/limits/memory"] {
        at(container, bound, "portal container");
    }

    // Every writable mount is scratch space (emptyDir) or a claimed volume, never the config
    // or the secrets.
    for (path, name, read_only, _) in mounts(container) {
        if !read_only {
            let v = volume(&deployment, &name);
            assert!(
                v.get("emptyDir").is_some() || v.get("persistentVolumeClaim").is_some(),
                "writable mount {path} is a scratch or claimed volume"
            );
        }
    }
}

#[test]
fn the_configmap_is_a_valid_live_portal_config_that_matches_the_deployment_and_image() {
    let configmap = k8s_object("ConfigMap");
    let deployment = k8s_object("Deployment");
    let secret = k8s_object("Secret");
    let container = portal_container(&deployment);
    let toml_text = text(&configmap, "/data/portal.toml", "ConfigMap");

    // The portal's own loader and validation, as `server --config FILE` runs them (env:
    // secrets are read later, when used, so none need be set here).
    let config = Config::from_toml(toml_text, "deploy/k8s/configmap.yaml", Mode::Live)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(config.audit.store, StoreKind::Postgres),
        "several replicas share one audit chain: audit.store = \"postgres\""
    );

    // It listens on the container's port and serves the site where the image has it.
    let container_port = at(container, "/ports/0/containerPort", "portal container")
        .as_u64()
        .unwrap();
    assert_eq!(u64::from(config.portal.addr.port()), container_port);
    assert!(
        config.portal.addr.ip().is_unspecified(),
        "reachable from the Service"
    );
    let stage = dockerfile_runtime_stage();
    assert_eq!(
        config.portal.site_root,
        PathBuf::from(dockerfile_site_root(&stage))
    );
    assert_eq!(
        instruction(&stage, "EXPOSE"),
        container_port.to_string(),
        "the image exposes the portal's port"
    );

    // The file given to --config is this ConfigMap's portal.toml.
    let config_path = config_argument(at(container, "/args", "portal container"), "Deployment");
    let mounts = mounts(container);
    let (_, volume_name, read_only, sub_path) = mounts
        .iter()
        .find(|(path, ..)| *path == config_path)
        .unwrap_or_else(|| panic!("nothing is mounted at --config {config_path}"));
    assert!(*read_only);
    assert_eq!(sub_path.as_deref(), Some("portal.toml"));
    assert_eq!(
        volume(&deployment, volume_name)["configMap"]["name"],
        configmap["metadata"]["name"]
    );

    // The outbox is written on a writable mount (the root filesystem is read-only).
    let writable: Vec<&str> = mounts
        .iter()
        .filter(|(_, _, read_only, _)| !read_only)
        .map(|(path, ..)| path.as_str())
        .collect();
    assert!(
        writable
            .iter()
            .any(|dir| path_is_under(&config.child_protection.outbox_path, dir)),
        "child_protection.outbox_path {} is on one of the writable mounts {writable:?}",
        config.child_protection.outbox_path.display()
    );

    // Every env: secret, and the audit database's password, come from the Secret.
    let secret_name = text(&secret, "/metadata/name", "Secret");
    let secret_keys: BTreeSet<&str> = at(&secret, "/stringData", "Secret")
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut needed = env_secret_names(toml_text);
    assert!(
        needed.len() >= 4,
        "the example shows env: secrets: {needed:?}"
    );
    let postgres_url = config.audit.postgres_url.as_deref().unwrap();
    assert_eq!(
        url::Url::parse(postgres_url).unwrap().password(),
        None,
        "no password in the ConfigMap: PGPASSWORD comes from the Secret"
    );
    needed.insert("PGPASSWORD".to_owned());
    let env = at(container, "/env", "portal container")
        .as_array()
        .unwrap();
    for name in &needed {
        let var = env
            .iter()
            .find(|v| v["name"] == name.as_str())
            .unwrap_or_else(|| panic!("the portal container does not set {name}"));
        let reference = at(var, "/valueFrom/secretKeyRef", name);
        assert_eq!(
            reference["name"], secret_name,
            "{name} comes from the Secret"
        );
        let key = text(reference, "/key", name);
        assert!(
            secret_keys.contains(key),
            "the Secret has no key {key} for {name}"
        );
    }

    // A source's private key file is mounted from the Secret, where the config looks for it.
    let table: toml::Table = toml::from_str(toml_text).unwrap();
    let key_paths: Vec<PathBuf> = table["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.get("auth")?.get("private_key_path")?.as_str())
        .map(PathBuf::from)
        .collect();
    for key_path in key_paths {
        let (dir, name, ..) = mounts
            .iter()
            .find(|(dir, ..)| key_path.parent() == Some(Path::new(dir)))
            .unwrap_or_else(|| panic!("nothing is mounted where {} is", key_path.display()));
        let v = volume(&deployment, name);
        assert_eq!(
            v["secret"]["secretName"], secret_name,
            "{dir} is the Secret"
        );
        let file = key_path.file_name().unwrap().to_str().unwrap();
        let items = v["secret"]["items"].as_array().unwrap();
        let item = items
            .iter()
            .find(|i| i["path"] == file)
            .unwrap_or_else(|| panic!("the Secret volume does not hold {file}"));
        assert!(secret_keys.contains(text(item, "/key", file)));
    }
}

#[test]
fn the_secret_holds_placeholders_only() {
    let secret = k8s_object("Secret");
    let values = at(&secret, "/stringData", "Secret").as_object().unwrap();
    assert!(!values.is_empty());
    for (key, value) in values {
        assert!(
            value.as_str().unwrap().contains("PLACEHOLDER"),
            "deploy/k8s/secret.yaml {key} must be a marked placeholder, never a real value"
        );
    }
    assert!(
        secret.get("data").is_none(),
        "no base64 values that hide what they are"
    );
}

#[test]
fn the_service_and_the_disruption_budget_select_the_portal_pods() {
    let deployment = k8s_object("Deployment");
    let labels = at(&deployment, "/spec/template/metadata/labels", "Deployment")
        .as_object()
        .unwrap();
    let selects_pods = |selector: &Value, what: &str| {
        let selector = selector.as_object().unwrap();
        assert!(!selector.is_empty(), "{what} selects something");
        for (k, v) in selector {
            assert_eq!(
                labels.get(k),
                Some(v),
                "{what} selects the portal's pods by {k}"
            );
        }
    };
    let service = k8s_object("Service");
    selects_pods(at(&service, "/spec/selector", "Service"), "Service");
    // Sessions are per pod until stateless instances (issue 19 part 1).
    assert_eq!(
        text(&service, "/spec/sessionAffinity", "Service"),
        "ClientIP"
    );
    let target = at(&service, "/spec/ports/0/targetPort", "Service");
    let container = portal_container(&deployment);
    assert!(
        target == &container["ports"][0]["name"]
            || target == &container["ports"][0]["containerPort"],
        "the Service sends traffic to the portal's port"
    );

    let pdb = k8s_object("PodDisruptionBudget");
    assert_eq!(
        at(&pdb, "/spec/minAvailable", "PodDisruptionBudget"),
        &Value::from(1)
    );
    selects_pods(
        at(&pdb, "/spec/selector/matchLabels", "PodDisruptionBudget"),
        "PodDisruptionBudget",
    );
}

#[test]
fn compose_runs_two_portals_postgres_and_a_sticky_proxy() {
    let docs = documents(&read("compose.yaml"), "deploy/compose.yaml");
    assert_eq!(docs.len(), 1);
    let compose = &docs[0];
    let services = at(compose, "/services", "compose").as_object().unwrap();
    let portals: Vec<(&String, &Value)> = services
        .iter()
        .filter(|(_, s)| s.get("build").is_some())
        .collect();
    assert_eq!(portals.len(), 2, "two portal instances");
    let nginx = read("nginx.conf");
    let configs = at(compose, "/configs", "compose");
    for (name, portal) in &portals {
        let what = format!("compose service {name}");
        assert_eq!(
            text(portal, "/build/dockerfile", &what),
            "deploy/Dockerfile"
        );
        assert_eq!(text(portal, "/build/context", &what), "..");
        assert_eq!(
            portal["read_only"],
            Value::Bool(true),
            "{what}: read-only root"
        );
        let config_path = config_argument(at(portal, "/command", &what), &what);
        let source = at(portal, "/configs", &what)
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["target"] == config_path.as_str())
            .unwrap_or_else(|| panic!("{what}: nothing is mounted at --config {config_path}"));
        let toml_text = text(
            configs,
            &format!("/{}/content", text(source, "/source", &what)),
            &what,
        );
        let mode = if portal["command"][0] == "demo" {
            Mode::Demo
        } else {
            Mode::Live
        };
        let config = Config::from_toml(toml_text, "deploy/compose.yaml", mode)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(config.audit.store, StoreKind::Postgres),
            "{what}: one shared audit chain"
        );
        assert!(
            config
                .audit
                .postgres_url
                .as_deref()
                .unwrap()
                .contains("@postgres:"),
            "{what}: the audit store is the compose PostgreSQL"
        );
        let volumes: Vec<&str> = at(portal, "/volumes", &what)
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().split(':').nth(1).unwrap())
            .collect();
        assert!(
            volumes
                .iter()
                .any(|dir| path_is_under(&config.child_protection.outbox_path, dir)),
            "{what}: the outbox is on the instance's own volume"
        );
        let upstream = format!("server {name}:{}", config.portal.addr.port());
        assert!(
            nginx.lines().any(|l| l
                .trim()
                .strip_prefix(&upstream)
                .is_some_and(|rest| rest.starts_with([' ', ';']))),
            "deploy/nginx.conf proxies to {name} on its port ({upstream})"
        );
    }
    let postgres = &services["postgres"];
    assert!(text(postgres, "/image", "postgres").starts_with("postgres:"));
    let proxy = &services["proxy"];
    assert!(text(proxy, "/image", "proxy").starts_with("nginx:"));
    assert!(
        proxy["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v.as_str().unwrap().starts_with("./nginx.conf:")),
        "the proxy uses deploy/nginx.conf"
    );
    // Sticky routing, as sessions are per instance (issue 19 part 1).
    assert!(
        nginx.contains("hash $scrv_route consistent;"),
        "deploy/nginx.conf routes each browser to one instance"
    );
}

#[test]
fn the_dockerfile_runtime_stage_runs_as_a_user_that_is_not_root() {
    let stage = dockerfile_runtime_stage();
    let user = instruction(&stage, "USER");
    let name = user.split(':').next().unwrap();
    assert!(
        !name.is_empty()
            && name != "root"
            && name != "0"
            && name.parse::<u32>().is_ok_and(|u| u != 0),
        "USER {user} must be a numeric non-root uid (Kubernetes' runAsNonRoot checks numbers)"
    );
    // The toolchain stays in the build stage.
    assert!(
        stage[0].starts_with("FROM debian:"),
        "runtime stage: {}",
        stage[0]
    );
    assert!(
        stage
            .iter()
            .all(|l| !l.contains("cargo") && !l.contains("npm")),
        "no build tools in the runtime stage"
    );
    assert!(instruction(&stage, "ENTRYPOINT").contains("/usr/local/bin/server"));
}
