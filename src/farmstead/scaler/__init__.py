"""`farmstead scaler`: keeps an auto-scaling fleet's `farmstead worker` processes at the size the server
recommends (GetFleet's targetWorkerCount; domain/fleet_scaling.py), on this host and over SSH."""
