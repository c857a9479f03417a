import Foundation
import PodlabCore

/// What `DebianRootfsBuilder` makes: Debian packages, a customization script and the image
/// config recorded with the result. Every field is part of `inputsDigest`, the cache key, so a
/// change of any input makes a new build and the same inputs reuse the last one.
public struct DebianImageRecipe: Sendable, Equatable {
    /// Debian suite, e.g. `bookworm`.
    public var suite: String
    /// mmdebstrap `--variant`: `essential` (Essential:yes packages, then `packages` installed by
    /// apt from outside, so no apt in the image) or `minbase` (adds apt).
    public var variant: String
    /// Packages installed on top of the variant (mmdebstrap `--include`).
    public var packages: [String]
    /// The mirror URL; nil uses mmdebstrap's default (`http://deb.debian.org/debian`).
    public var mirror: String?
    /// A POSIX shell script run on the host as an mmdebstrap `--customize-hook`, with the rootfs
    /// directory as `$1`; empty for none.
    public var customizeScript: String
    /// The config the image is recorded with (see `ImageConfig`).
    public var config: ImageConfig

    public init(suite: String = "bookworm", variant: String = "essential", packages: [String], mirror: String? = nil,
                customizeScript: String = "", config: ImageConfig) {
        self.suite = suite
        self.variant = variant
        self.packages = packages
        self.mirror = mirror
        self.customizeScript = customizeScript
        self.config = config
    }

    /// sha256 over every input and the build format version: the cache key.
    public func inputsDigest(sourceDateEpoch: Int) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configJSON = (try? encoder.encode(config)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let text = [
            "podlab-debian-rootfs-v1", suite, variant, packages.sorted().joined(separator: ","), mirror ?? "default",
            Self.architecture, String(sourceDateEpoch), customizeScript, configJSON,
        ].joined(separator: "\n")
        return SHA256.hex(of: Array(text.utf8))
    }

    /// This machine's Debian architecture (mmdebstrap builds for the host's by default).
    public static var architecture: String {
        #if arch(x86_64)
        return "amd64"
        #elseif arch(arm64)
        return "arm64"
        #else
        return "unknown"
        #endif
    }

    /// A package name as Debian allows it (policy 5.6.1: lowercase letters, digits, `+ - .`,
    /// at least two characters, starting alphanumeric), optionally `=version` or `/suite`: checked
    /// before it reaches mmdebstrap's command line.
    public static func validatePackage(_ name: String) throws {
        let package = name.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first?
            .split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789+-.")
        guard package.count >= 2, package.allSatisfy({ allowed.contains($0) }), let first = package.first, first.isLetter || first.isNumber,
              name.allSatisfy({ !$0.isWhitespace && $0 != "," && $0 != "'" && $0 != "\"" }) else {
            throw PodlabError(.invalidArgument, "--include \(name.debugDescription): not a Debian package name (lowercase letters, digits, + - .)")
        }
    }
}

extension DebianImageRecipe {
    /// The official `nginx` image's default config, read from docker-library's nginx Dockerfile
    /// (nginxinc/docker-nginx `mainline/debian/Dockerfile`): ENTRYPOINT `/docker-entrypoint.sh`,
    /// CMD `nginx -g "daemon off;"`, EXPOSE 80, STOPSIGNAL SIGQUIT. `NGINX_VERSION` is
    /// Debian's package version here, filled in after the build (docs/FIDELITY.md #101).
    public static let nginxConfig = ImageConfig(
        entrypoint: ["/docker-entrypoint.sh"], cmd: ["nginx", "-g", "daemon off;"],
        env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        exposedPorts: ["80/tcp": .init()], stopSignal: "SIGQUIT")

    /// `nginx:latest`: Debian's `nginx-light` on an `essential` bookworm, configured like the
    /// official image (docs/FIDELITY.md #101, #102):
    /// - `/etc/nginx/nginx.conf` is the official one (user `nginx` uid 101, `main` log format,
    ///   `access_log /var/log/nginx/access.log main`, `include conf.d/*.conf`), plus Debian's
    ///   `modules-enabled` include; `conf.d/default.conf` serves `/usr/share/nginx/html` on port 80;
    /// - `/var/log/nginx/access.log` and `error.log` are symlinks to the process' stdout and
    ///   stderr, as in the official image, so without a volume the log goes to `podlab logs`; a
    ///   volume mounted at `/var/log/nginx` (the seed post's emptyDir) hides them and nginx
    ///   writes real files there. The official links point at `/dev/stdout`; podlab's container
    ///   `/dev` has no such symlink (runc makes one), so these point at `/proc/self/fd/1` and `2`;
    /// - `/docker-entrypoint.sh` runs the executable `*.sh` in `/docker-entrypoint.d/` when the
    ///   command is `nginx`, then `exec "$@"`, like the official script (the official
    ///   `10-listen-on-ipv6-by-default.sh`, `20-envsubst-on-templates.sh` and
    ///   `30-tune-worker-processes.sh` are not included; the server listens on IPv4 port 80 only).
    public static func nginx(mirror: String? = nil) -> DebianImageRecipe {
        DebianImageRecipe(packages: ["nginx-light"], mirror: mirror, customizeScript: nginxCustomizeScript, config: nginxConfig)
    }

    static let nginxCustomizeScript = #"""
        set -eu
        root="$1"
        # The official image's user and group (nginx.org packages use 101).
        grep -q '^nginx:' "$root/etc/group" || echo 'nginx:x:101:' >> "$root/etc/group"
        grep -q '^nginx:' "$root/etc/passwd" || echo 'nginx:x:101:101:nginx user:/nonexistent:/usr/sbin/nologin' >> "$root/etc/passwd"
        rm -f "$root/etc/nginx/sites-enabled/default"
        mkdir -p "$root/etc/nginx/conf.d" "$root/usr/share/nginx/html" "$root/docker-entrypoint.d" "$root/var/cache/nginx"
        cat > "$root/etc/nginx/nginx.conf" <<'CONF'
        user  nginx;
        worker_processes  auto;

        error_log  /var/log/nginx/error.log notice;
        pid        /run/nginx.pid;

        # Debian's dynamic modules (nginx-light's http-echo).
        include /etc/nginx/modules-enabled/*.conf;

        events {
            worker_connections  1024;
        }

        http {
            include       /etc/nginx/mime.types;
            default_type  application/octet-stream;

            log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                              '$status $body_bytes_sent "$http_referer" '
                              '"$http_user_agent" "$http_x_forwarded_for"';

            access_log  /var/log/nginx/access.log  main;

            sendfile        on;
            keepalive_timeout  65;

            include /etc/nginx/conf.d/*.conf;
        }
        CONF
        cat > "$root/etc/nginx/conf.d/default.conf" <<'CONF'
        server {
            listen       80;
            server_name  localhost;

            location / {
                root   /usr/share/nginx/html;
                index  index.html index.htm;
            }

            error_page   500 502 503 504  /50x.html;
            location = /50x.html {
                root   /usr/share/nginx/html;
            }
        }
        CONF
        cat > "$root/usr/share/nginx/html/50x.html" <<'HTML'
        <!DOCTYPE html>
        <html><head><title>Error</title></head>
        <body><h1>An error occurred.</h1><p>The page you are looking for is currently unavailable.</p></body></html>
        HTML
        cat > "$root/docker-entrypoint.sh" <<'SCRIPT'
        #!/bin/sh
        # podlab's counterpart of the official nginx image's entrypoint: run the executable
        # /docker-entrypoint.d/*.sh when starting nginx, then replace this shell with the command.
        set -e
        say() { [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$@"; }
        if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
            found=0
            for f in $(find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f -name '*.sh' | sort -V); do
                found=1
                if [ -x "$f" ]; then say "$0: Launching $f"; "$f"; else say "$0: Ignoring $f, not executable"; fi
            done
            if [ "$found" = 1 ]; then
                say "$0: Configuration complete; ready for start up"
            else
                say "$0: No files found in /docker-entrypoint.d/, skipping configuration"
            fi
        fi
        exec "$@"
        SCRIPT
        chmod 0755 "$root/docker-entrypoint.sh"
        rm -f "$root/var/log/nginx/access.log" "$root/var/log/nginx/error.log"
        ln -s /proc/self/fd/1 "$root/var/log/nginx/access.log"
        ln -s /proc/self/fd/2 "$root/var/log/nginx/error.log"
        """#
}
