//! Quadlet's `.container` files as berth units: the conversion podman's
//! Quadlet (`pkg/systemd/quadlet`, `ConvertContainer`) does, with `berth run`
//! as the main process instead of `podman run -d` + conmon.
//!
//! What differs from Quadlet's output, and why:
//! - `berth run` stays in the foreground: the container is its child, so it
//!   is the unit's main process and sends READY=1 itself (`--sdnotify=conmon`
//!   keeps podman's name); no `-d`, no `--cgroups=split`, no `Delegate=yes`
//!   (berth manages no cgroups).
//! - `ExecStop=` is `berth stop -i NAME` (the container's stop signal and
//!   timeout; berth's `rm -f` kills at once, podman's stops first), and
//!   `ExecStopPost=-berth rm -v -f -i NAME` cleans up when the main process
//!   was killed, as Quadlet's does.
//! - `Environment=BERTH_SYSTEMD_UNIT=%n` for podman's `PODMAN_SYSTEMD_UNIT`.
//! - `RequiresMountsFor=` names berth's root instead of podman's run root.
//! - Quadlet's default dependency on `network-online.target` is kept for
//!   system units; user units get none (a user manager cannot wait for it,
//!   and podman's helper unit for that does not exist without podman).
//! - Flags come in one fixed order (Quadlet walks Go maps: its order varies).
//! - Keys are those berth has flags for; every other key, Quadlet's included
//!   (Annotation, Timezone, Pod, Secret…), is an error naming it, and that
//!   unit is not written — never a key ignored silently. `PodmanArgs=` is
//!   kept under its name (berth's flags are podman's); `BerthArgs=` is the
//!   same for files written for berth.
//! - `.volume` files become `NAME-volume.service` (`berth volume create
//!   --ignore`), as Quadlet's `ConvertVolume`; a `.container`'s
//!   `Volume=NAME.volume:…` names that volume and requires that unit.
//!   `.image` files become `NAME-image.service` (`berth pull`), and
//!   `Image=NAME.image` names its image and requires that unit.
//!   `.network`, `.pod`, `.kube` and `.build` files are refused by name
//!   ([`unsupported_kind`]): berth has no user-defined networks, pods, kube
//!   YAML or Quadlet builds.

use super::{UnitFile, command_line, split_words};
use anyhow::{Context, Result, bail};
use std::path::Path;

const CONTAINER: &str = "Container";
const SERVICE: &str = "Service";
const UNIT: &str = "Unit";
const QUADLET: &str = "Quadlet";
const VOLUME: &str = "Volume";
const IMAGE: &str = "Image";

/// The `[Image]` keys berth converts (no DecryptionKey: berth has no
/// encrypted images).
const IMAGE_KEYS: &[&str] = &[
    "AllTags",
    "Arch",
    "AuthFile",
    "BerthArgs",
    "CertDir",
    "Creds",
    "GlobalArgs",
    "Image",
    "ImageTag",
    "OS",
    "PodmanArgs",
    "ServiceName",
    "TLSVerify",
    "Variant",
];

/// The `[Volume]` keys berth converts (berth's volumes are directories:
/// no Device, Type, Options, Copy, User, Group or Image).
const VOLUME_KEYS: &[&str] = &[
    "BerthArgs",
    "Driver",
    "GlobalArgs",
    "Label",
    "PodmanArgs",
    "VolumeName",
];

/// The `[Container]` keys berth converts.
const KEYS: &[&str] = &[
    "AddCapability",
    "AddDevice",
    "AddHost",
    "BerthArgs",
    "ContainerName",
    "DNS",
    "DropCapability",
    "Entrypoint",
    "Environment",
    "EnvironmentFile",
    "Exec",
    "ExposeHostPort",
    "GlobalArgs",
    "Group",
    "GroupAdd",
    "HealthCmd",
    "HealthInterval",
    "HealthOnFailure",
    "HealthRetries",
    "HealthStartPeriod",
    "HealthTimeout",
    "HostName",
    "Image",
    "Label",
    "LogDriver",
    "LogOpt",
    "Memory",
    "Mount",
    "Network",
    "NoNewPrivileges",
    "Notify",
    "PidsLimit",
    "PodmanArgs",
    "PublishPort",
    "Pull",
    "ReadOnly",
    "RunInit",
    "SeccompProfile",
    "ServiceName",
    "StopSignal",
    "StopTimeout",
    "Tmpfs",
    "Ulimit",
    "User",
    "UserNS",
    "Volume",
    "WorkingDir",
];

/// Where and how the unit runs.
pub struct Place<'a> {
    /// The `.container` file's path (for `SourcePath=` and relative paths).
    pub source: &'a Path,
    /// A user manager's generator (`--user`, or `user` in its name).
    pub user: bool,
    /// The berth binary the unit runs.
    pub berth: &'a Path,
    /// berth's root, which must be mounted before the unit starts.
    pub root: &'a Path,
    /// The `.volume` and `.image` files found, by file name: what a
    /// `.container`'s `Volume=NAME.volume` or `Image=NAME.image` resolves to.
    pub produced: &'a std::collections::BTreeMap<String, Produced>,
}

/// What a `.volume` or `.image` file makes: the volume's or image's name and
/// the unit creating or pulling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Produced {
    pub name: String,
    pub service: String,
}

/// Why berth converts no file of this kind (`.network`, `.pod`, …), or
/// None for the kinds it converts; the kind is the file name's extension.
pub fn unsupported_kind(file_name: &str) -> Option<&'static str> {
    let ext = file_name.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "network" => {
            "berth has no user-defined networks (a container's Network= takes pasta, none or host)"
        }
        "pod" => "berth has no pods",
        "kube" => "berth does not run Kubernetes YAML",
        "build" => "berth converts no Quadlet builds (run `berth build` and name the image)",
        _ => return None,
    })
}

/// The file kinds the generator reads: converted or refused by name.
pub const KINDS: &[&str] = &[
    ".container",
    ".volume",
    ".network",
    ".pod",
    ".kube",
    ".image",
    ".build",
];

/// The service unit's file name for a `.container` or `.volume` file:
/// `ServiceName=` when set, else `NAME.service` (`NAME-volume.service` for
/// a volume), as Quadlet names them.
pub fn service_name(unit: &UnitFile, file_name: &str) -> String {
    if let Some(base) = file_name.strip_suffix(".image") {
        return match unit.last_nonempty(IMAGE, "ServiceName") {
            Some(n) => format!("{n}.service"),
            None => format!("{base}-image.service"),
        };
    }
    if let Some(base) = file_name.strip_suffix(".volume") {
        return match unit.last_nonempty(VOLUME, "ServiceName") {
            Some(n) => format!("{n}.service"),
            None => format!("{base}-volume.service"),
        };
    }
    if let Some(n) = unit.last_nonempty(CONTAINER, "ServiceName") {
        return format!("{n}.service");
    }
    let base = file_name.strip_suffix(".container").unwrap_or(file_name);
    format!("{base}.service")
}

/// What a `.volume` file names: `VolumeName=`, else `systemd-NAME`.
pub fn volume_unit(unit: &UnitFile, file_name: &str) -> Produced {
    let base = file_name.strip_suffix(".volume").unwrap_or(file_name);
    Produced {
        name: match unit.last_nonempty(VOLUME, "VolumeName") {
            Some(n) => n.to_string(),
            None => format!("systemd-{base}"),
        },
        service: service_name(unit, file_name),
    }
}

/// What an `.image` file names: `ImageTag=`, else its `Image=`.
pub fn image_unit(unit: &UnitFile, file_name: &str) -> Produced {
    Produced {
        name: (unit.last_nonempty(IMAGE, "ImageTag"))
            .or_else(|| unit.last_nonempty(IMAGE, "Image"))
            .unwrap_or_default()
            .to_string(),
        service: service_name(unit, file_name),
    }
}

/// Converts one `.image` file into the oneshot unit that pulls its image,
/// as Quadlet's `ConvertImage` (`berth pull` for `podman image pull`).
pub fn convert_image(image: &UnitFile, cx: &Place<'_>) -> Result<UnitFile> {
    for key in image.keys(IMAGE) {
        if !IMAGE_KEYS.contains(&key) {
            bail!(
                "unsupported key `{key}` in group `Image` in {}",
                cx.source.display()
            );
        }
    }
    let Some(reference) = image.last_nonempty(IMAGE, "Image") else {
        bail!("no Image key specified");
    };
    let mut service = networked_service(image, IMAGE, "X-Image", cx)?;
    let mut cmd = vec![cx.berth.display().to_string()];
    cmd.extend(group_words(image, IMAGE, "GlobalArgs")?);
    cmd.push("pull".into());
    if image.boolean(IMAGE, "AllTags")? == Some(true) {
        cmd.push("--all-tags".into());
    }
    if let Some(v) = image.boolean(IMAGE, "TLSVerify")? {
        cmd.push(format!("--tls-verify={v}"));
    }
    if let Some(f) = image.last_nonempty(IMAGE, "AuthFile") {
        cmd.extend([
            "--authfile".into(),
            absolute(cx.source, f).display().to_string(),
        ]);
    }
    if let Some(d) = image.last_nonempty(IMAGE, "CertDir") {
        cmd.extend([
            "--cert-dir".into(),
            absolute(cx.source, d).display().to_string(),
        ]);
    }
    if let Some(c) = image.last_nonempty(IMAGE, "Creds") {
        cmd.extend(["--creds".into(), c.to_string()]);
    }
    for (key, flag) in [("Arch", "--arch"), ("OS", "--os"), ("Variant", "--variant")] {
        if let Some(v) = image.last_nonempty(IMAGE, key) {
            cmd.extend([flag.into(), v.to_string()]);
        }
    }
    for key in ["PodmanArgs", "BerthArgs"] {
        cmd.extend(group_words(image, IMAGE, key)?);
    }
    cmd.push(reference.to_string());
    service.add(SERVICE, "ExecStart", &command_line(&cmd));
    service.set(SERVICE, "Type", "oneshot");
    service.set(SERVICE, "RemainAfterExit", "yes");
    if !image.has_key(SERVICE, "SyslogIdentifier") {
        service.set(SERVICE, "SyslogIdentifier", "%N");
    }
    Ok(service)
}

/// Converts one `.volume` file into the oneshot unit that creates its
/// volume (and leaves an existing one as it is).
pub fn convert_volume(volume: &UnitFile, file_name: &str, cx: &Place<'_>) -> Result<UnitFile> {
    for key in volume.keys(VOLUME) {
        if !VOLUME_KEYS.contains(&key) && key != "ServiceName" {
            bail!(
                "unsupported key `{key}` in group `Volume` in {}",
                cx.source.display()
            );
        }
    }
    let v = volume_unit(volume, file_name);
    let mut service = service_from(volume, VOLUME, "X-Volume", cx);
    let mut cmd = vec![cx.berth.display().to_string()];
    cmd.extend(group_words(volume, VOLUME, "GlobalArgs")?);
    cmd.extend(["volume", "create", "--ignore"].map(String::from));
    if let Some(d) = volume.last_nonempty(VOLUME, "Driver") {
        cmd.extend(["--driver".to_string(), d.to_string()]);
    }
    for kv in group_key_values(volume, VOLUME, "Label")? {
        cmd.extend(["--label".to_string(), kv]);
    }
    for key in ["PodmanArgs", "BerthArgs"] {
        cmd.extend(group_words(volume, VOLUME, key)?);
    }
    cmd.push(v.name);
    service.add(SERVICE, "ExecStart", &command_line(&cmd));
    service.set(SERVICE, "Type", "oneshot");
    service.set(SERVICE, "RemainAfterExit", "yes");
    if !volume.has_key(SERVICE, "SyslogIdentifier") {
        service.set(SERVICE, "SyslogIdentifier", "%N");
    }
    Ok(service)
}

/// Converts one `.container` file into its `.service` unit.
pub fn convert(container: &UnitFile, file_name: &str, cx: &Place<'_>) -> Result<UnitFile> {
    for key in container.keys(CONTAINER) {
        if !KEYS.contains(&key) {
            bail!(
                "unsupported key `{key}` in group `Container` in {}",
                cx.source.display()
            );
        }
    }
    for key in container.keys(QUADLET) {
        if key != "DefaultDependencies" {
            bail!(
                "unsupported key `{key}` in group `Quadlet` in {}",
                cx.source.display()
            );
        }
    }
    let mut service = networked_service(container, CONTAINER, "X-Container", cx)?;

    let Some(image) = container.last_nonempty(CONTAINER, "Image") else {
        bail!("no Image key specified");
    };
    // `Image=NAME.image`: the image that file pulls, once its unit has.
    let image = if image.ends_with(".image") {
        required(cx, &mut service, image, "image")
            .with_context(|| format!("Image={image}"))?
            .name
            .as_str()
    } else {
        image
    };
    let name = match container.last_nonempty(CONTAINER, "ContainerName") {
        Some(n) => n.to_string(),
        None if file_name.contains('@') => "systemd-%p_%i".to_string(),
        None => "systemd-%N".to_string(),
    };

    service.add(SERVICE, "Environment", "BERTH_SYSTEMD_UNIT=%n");
    match service.last(SERVICE, "KillMode") {
        None => service.set(SERVICE, "KillMode", "mixed"),
        Some("mixed" | "control-group") => {}
        Some(other) => bail!("invalid KillMode `{other}`: use mixed or control-group"),
    }
    let base = base_command(container, cx.berth)?;
    let mut stop = base.clone();
    stop.extend(["stop", "-i", &name].map(String::from));
    service.add(SERVICE, "ExecStop", &command_line(&stop));
    let mut stop_post = base.clone();
    stop_post.extend(["rm", "-v", "-f", "-i", &name].map(String::from));
    service.add(
        SERVICE,
        "ExecStopPost",
        &format!("-{}", command_line(&stop_post)),
    );

    let mut run = base;
    let mut add = |words: &[&str]| run.extend(words.iter().map(|w| w.to_string()));
    add(&["run", "--name", &name, "--replace", "--rm"]);
    if let Some(d) = container.last(CONTAINER, "LogDriver") {
        add(&["--log-driver", d]);
    }
    for v in all_words(container, "LogOpt")? {
        add(&["--log-opt", &v]);
    }
    for (key, flag) in [
        ("Entrypoint", "--entrypoint"),
        ("WorkingDir", "--workdir"),
        ("HostName", "--hostname"),
        ("StopSignal", "--stop-signal"),
        ("StopTimeout", "--stop-timeout"),
        ("Pull", "--pull"),
        ("Memory", "--memory"),
        ("PidsLimit", "--pids-limit"),
    ] {
        if let Some(v) = container.last_nonempty(CONTAINER, key) {
            add(&[flag, v]);
        }
    }
    for (key, flag) in [
        ("Ulimit", "--ulimit"),
        ("DNS", "--dns"),
        ("GroupAdd", "--group-add"),
        ("AddHost", "--add-host"),
        ("Tmpfs", "--tmpfs"),
    ] {
        for v in container.all(CONTAINER, key) {
            add(&[flag, v]);
        }
    }
    if container.boolean(CONTAINER, "RunInit")? == Some(true) {
        add(&["--init"]);
    }
    for n in container.all(CONTAINER, "Network") {
        if n.ends_with(".network")
            || n.split(':')
                .next()
                .is_some_and(|u| u.ends_with(".container"))
        {
            bail!("Network={n}: Quadlet .network and .container units are not supported by berth");
        }
        add(&["--network", n]);
    }
    match service.last(SERVICE, "Type") {
        None | Some("notify") | Some("oneshot") => {}
        Some(other) => bail!("invalid service Type `{other}`: use notify or oneshot"),
    }
    if service.last(SERVICE, "Type") != Some("oneshot") {
        let notify = container.last(CONTAINER, "Notify");
        if notify.is_some_and(|n| n.eq_ignore_ascii_case("healthy")) {
            add(&["--sdnotify=healthy"]);
        } else if container.boolean(CONTAINER, "Notify")? == Some(true) {
            add(&["--sdnotify=container"]);
        } else {
            add(&["--sdnotify=conmon"]);
        }
        service.set(SERVICE, "Type", "notify");
        service.set(SERVICE, "NotifyAccess", "all");
    }
    if !container.has_key(SERVICE, "SyslogIdentifier") {
        service.set(SERVICE, "SyslogIdentifier", "%N");
    }
    if container.boolean(CONTAINER, "NoNewPrivileges")? == Some(true) {
        add(&["--security-opt=no-new-privileges"]);
    }
    for d in all_words(container, "AddDevice")? {
        // A leading `-`: only when the host has the device (Quadlet's rule).
        let d = match d.strip_prefix('-') {
            Some(rest) if !Path::new(rest.split(':').next().unwrap_or("")).exists() => continue,
            Some(rest) => rest.to_string(),
            None => d,
        };
        add(&["--device", &d]);
    }
    if let Some(p) = container.last(CONTAINER, "SeccompProfile") {
        add(&["--security-opt", &format!("seccomp={p}")]);
    }
    for c in all_words(container, "DropCapability")? {
        add(&["--cap-drop", &c.to_ascii_lowercase()]);
    }
    for c in all_words(container, "AddCapability")? {
        add(&["--cap-add", &c.to_ascii_lowercase()]);
    }
    if container.boolean(CONTAINER, "ReadOnly")? == Some(true) {
        add(&["--read-only"]);
    }
    match (
        container.last_nonempty(CONTAINER, "User"),
        container.last_nonempty(CONTAINER, "Group"),
    ) {
        (None, None) => {}
        (None, Some(_)) => bail!("invalid Group set without User"),
        (Some(u), None) => add(&["--user", u]),
        (Some(u), Some(g)) => add(&["--user", &format!("{u}:{g}")]),
    }
    if let Some(u) = container.last_nonempty(CONTAINER, "UserNS") {
        add(&["--userns", u]);
    }
    for v in container.all(CONTAINER, "Volume") {
        let mut parts = v.splitn(3, ':');
        let (first, dest, opts) = (parts.next(), parts.next(), parts.next());
        let arg = match (first, dest) {
            (Some(src), Some(dest)) => {
                let src =
                    storage_source(src, cx, &mut service).with_context(|| format!("Volume={v}"))?;
                match opts {
                    Some(o) => format!("{src}:{dest}:{o}"),
                    None => format!("{src}:{dest}"),
                }
            }
            _ => v.to_string(),
        };
        add(&["-v", &arg]);
    }
    for p in container.all(CONTAINER, "ExposeHostPort") {
        add(&["--expose", p.trim()]);
    }
    for p in container.all(CONTAINER, "PublishPort") {
        add(&["--publish", p.trim()]);
    }
    for (key, flag) in [("Environment", "--env"), ("Label", "--label")] {
        for kv in key_values(container, key)? {
            add(&[flag, &kv]);
        }
    }
    for f in all_words(container, "EnvironmentFile")? {
        add(&["--env-file", &absolute(cx.source, &f).display().to_string()]);
    }
    for m in container.all(CONTAINER, "Mount") {
        let m = mount(m, cx, &mut service).with_context(|| format!("Mount={m}"))?;
        add(&["--mount", &m]);
    }
    for (key, flag) in [
        ("HealthCmd", "--health-cmd"),
        ("HealthInterval", "--health-interval"),
        ("HealthOnFailure", "--health-on-failure"),
        ("HealthRetries", "--health-retries"),
        ("HealthStartPeriod", "--health-start-period"),
        ("HealthTimeout", "--health-timeout"),
    ] {
        if let Some(v) = container.last_nonempty(CONTAINER, key) {
            add(&[flag, v]);
        }
    }
    for key in ["PodmanArgs", "BerthArgs"] {
        for w in all_words(container, key)? {
            add(&[&w]);
        }
    }
    add(&[image]);
    if let Some(exec) = container.last(CONTAINER, "Exec") {
        let words = split_words(exec).context("Exec")?;
        run.extend(words);
    }
    service.add(SERVICE, "ExecStart", &command_line(&run));
    Ok(service)
}

/// What the Quadlet `file` (`NAME.volume`, `NAME.image`) makes, its unit
/// required by and ordered before `service`.
fn required<'a>(
    cx: &Place<'a>,
    service: &mut UnitFile,
    file: &str,
    kind: &str,
) -> Result<&'a Produced> {
    let Some(p) = cx.produced.get(file) else {
        bail!("requires the Quadlet {kind} {file}, which was not found");
    };
    service.add(UNIT, "Requires", &p.service);
    service.add(UNIT, "After", &p.service);
    Ok(p)
}

/// A `Volume=` or `Mount=` source as the unit passes it on: `NAME.volume`
/// becomes the volume that Quadlet file makes (and its unit a
/// requirement), `./rel` a path beside the Quadlet file; a host path is
/// required mounted before the container starts.
fn storage_source(src: &str, cx: &Place<'_>, service: &mut UnitFile) -> Result<String> {
    let src = if src.ends_with(".volume") {
        required(cx, service, src, "volume")?.name.clone()
    } else if src.starts_with('.') {
        absolute(cx.source, src).display().to_string()
    } else {
        src.to_string()
    };
    if src.starts_with('/') {
        service.add(UNIT, "RequiresMountsFor", &src);
    }
    Ok(src)
}

/// A `Mount=` value with its source resolved as [`storage_source`] does,
/// for the bind and volume mounts that have one (as Quadlet does).
fn mount(m: &str, cx: &Place<'_>, service: &mut UnitFile) -> Result<String> {
    let fields: Vec<&str> = m.split(',').collect();
    let kind = fields
        .iter()
        .find_map(|f| f.strip_prefix("type="))
        .unwrap_or("volume");
    if !matches!(kind, "bind" | "volume") {
        return Ok(m.to_string());
    }
    let mut out = Vec::with_capacity(fields.len());
    for f in fields {
        out.push(match f.split_once('=') {
            Some((k @ ("source" | "src"), src)) => {
                format!("{k}={}", storage_source(src, cx, service)?)
            }
            _ => f.to_string(),
        });
    }
    Ok(out.join(","))
}

/// `berth` and the `GlobalArgs=` before its verb.
/// The unit a Quadlet file becomes, before its command: the file itself,
/// where it came from (`SourcePath`, `RequiresMountsFor`), and its berth
/// group renamed to `x_group` (systemd ignores X- groups: the source stays
/// readable in the unit).
fn service_from(unit: &UnitFile, group: &str, x_group: &str, cx: &Place<'_>) -> UnitFile {
    let mut service = unit.clone();
    service.add(UNIT, "SourcePath", &cx.source.display().to_string());
    service.add(UNIT, "RequiresMountsFor", &cx.root.display().to_string());
    service.rename_group(group, x_group);
    service
}

/// [`service_from`] for a unit that needs the network (a pull, a
/// container): ordered after network-online.target in a system manager
/// unless `DefaultDependencies=false`, as podman's Quadlet does.
fn networked_service(
    unit: &UnitFile,
    group: &str,
    x_group: &str,
    cx: &Place<'_>,
) -> Result<UnitFile> {
    let mut service = service_from(unit, group, x_group, cx);
    if unit
        .boolean(QUADLET, "DefaultDependencies")?
        .unwrap_or(true)
        && !cx.user
    {
        service.prepend(UNIT, "After", "network-online.target");
        service.prepend(UNIT, "Wants", "network-online.target");
    }
    service.rename_group(QUADLET, "X-Quadlet");
    Ok(service)
}

fn base_command(container: &UnitFile, berth: &Path) -> Result<Vec<String>> {
    let mut cmd = vec![berth.display().to_string()];
    cmd.extend(all_words(container, "GlobalArgs")?);
    Ok(cmd)
}

/// Every value of `key`, each split into words.
fn all_words(container: &UnitFile, key: &str) -> Result<Vec<String>> {
    group_words(container, CONTAINER, key)
}

fn group_words(unit: &UnitFile, group: &str, key: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for v in unit.all(group, key) {
        out.extend(split_words(v).with_context(|| format!("{key}={v}"))?);
    }
    Ok(out)
}

/// `KEY=VALUE` words of every `key` line, sorted by key (a later one wins),
/// as Quadlet passes them.
fn key_values(container: &UnitFile, key: &str) -> Result<Vec<String>> {
    group_key_values(container, CONTAINER, key)
}

fn group_key_values(unit: &UnitFile, group: &str, key: &str) -> Result<Vec<String>> {
    let mut map = std::collections::BTreeMap::new();
    for w in group_words(unit, group, key)? {
        match w.split_once('=') {
            Some((k, v)) => map.insert(k.to_string(), v.to_string()),
            None => bail!("{key}: `{w}` is not KEY=VALUE"),
        };
    }
    Ok(map.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
}

/// A path relative to the `.container` file's directory (one starting with
/// a systemd specifier is left for systemd).
fn absolute(source: &Path, p: &str) -> std::path::PathBuf {
    if p.starts_with('/') || (p.starts_with('%') && !p.starts_with("%%")) {
        return p.into();
    }
    let dir = source.parent().unwrap_or(Path::new("/"));
    let mut out = dir.to_path_buf();
    for part in Path::new(p).components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    static NOTHING: std::collections::BTreeMap<String, Produced> =
        std::collections::BTreeMap::new();

    fn cx<'a>(source: &'a Path) -> Place<'a> {
        Place {
            source,
            user: false,
            berth: Path::new("/usr/bin/berth"),
            root: Path::new("/var/lib/berth"),
            produced: &NOTHING,
        }
    }

    #[test]
    fn a_minimal_container_becomes_a_notify_service() {
        let src = Path::new("/etc/containers/systemd/web.container");
        let f = UnitFile::parse(
            "[Unit]\nDescription=web\n\n[Container]\nImage=localhost/bb\nExec=httpd -f\n\n[Install]\nWantedBy=default.target\n",
            "web.container",
        )
        .unwrap();
        let s = convert(&f, "web.container", &cx(src)).unwrap();
        assert_eq!(
            s.to_text(),
            "[Unit]\n\
             Wants=network-online.target\n\
             After=network-online.target\n\
             Description=web\n\
             SourcePath=/etc/containers/systemd/web.container\n\
             RequiresMountsFor=/var/lib/berth\n\
             \n\
             [X-Container]\n\
             Image=localhost/bb\n\
             Exec=httpd -f\n\
             \n\
             [Install]\n\
             WantedBy=default.target\n\
             \n\
             [Service]\n\
             Environment=BERTH_SYSTEMD_UNIT=%n\n\
             KillMode=mixed\n\
             ExecStop=/usr/bin/berth stop -i systemd-%N\n\
             ExecStopPost=-/usr/bin/berth rm -v -f -i systemd-%N\n\
             Type=notify\n\
             NotifyAccess=all\n\
             SyslogIdentifier=%N\n\
             ExecStart=/usr/bin/berth run --name systemd-%N --replace --rm --sdnotify=conmon localhost/bb httpd -f\n"
        );
    }

    #[test]
    fn an_unknown_key_is_named() {
        let src = Path::new("/q/a.container");
        let f = UnitFile::parse("[Container]\nImage=x\nTimezone=UTC\n", "a").unwrap();
        let e = convert(&f, "a.container", &cx(src)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unsupported key `Timezone` in group `Container` in /q/a.container"
        );
    }

    #[test]
    fn relative_paths_are_the_files_directory() {
        assert_eq!(
            absolute(Path::new("/q/a.container"), "../env/x.env"),
            Path::new("/env/x.env")
        );
        assert_eq!(
            absolute(Path::new("/q/a.container"), "%h/x"),
            Path::new("%h/x")
        );
    }
}
