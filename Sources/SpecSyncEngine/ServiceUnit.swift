// Generated from config/specsync.service by scripts/generate-embedded (a test keeps the two identical):
// the systemd user unit `specsync init --service-unit` prints travel inside the binary so specsync runs anywhere.
enum ServiceUnit {
    static let text = #"""
# systemd user unit: keeps a project's specs canonical while you work.
# Install:  cp config/specsync.service ~/.config/systemd/user/specsync@.service
#           systemctl --user daemon-reload
#           systemctl --user enable --now "specsync@$(systemd-escape --path ~/src/myproject).service"
# Logs:     journalctl --user -u "specsync@$(systemd-escape --path ~/src/myproject)" -f
[Unit]
Description=specsync: keep task specs in %f valid and canonical
Documentation=file://%f/README.md

[Service]
Type=simple
WorkingDirectory=%f
ExecStart=/usr/local/bin/specsync watch
# SIGTERM lets in-flight writes finish; specsync exits 0 with no temp files left behind.
KillSignal=SIGTERM
TimeoutStopSec=30
# Exit 2 is a configuration problem or a second instance on the same tree: restarting will not help.
Restart=on-failure
RestartPreventExitStatus=2
RestartSec=2
# Nothing to do while idle: no polling, so no CPU or wake-ups to budget for.
Nice=5

[Install]
WantedBy=default.target

"""#
}
