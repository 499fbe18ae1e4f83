"""Where the work of a run is carried out: in this process or on a Ray cluster."""
