"""On-device matching: hard constraints, weighted and explained soft criteria, suggestions and batch
proposals under capacities. numpy/scipy only: no Qt, no database (services.matching loads the data).
"""
