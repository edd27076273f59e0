"""Kiosk checks over SSH: connecting (`ssh`, pinned host keys in `known_hosts`), reaching many
kiosks at once (`reach`), running the agent and storing verdicts (`checks`), judging what came
back (`verdicts`), and setting kiosks up (`admin`: trust and deploy).

May import the core; never Textual, `tracker.ui` or `tracker.cli`.
"""
