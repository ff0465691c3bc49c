"""Commerce vocabulary shared by the lane and the server: money, order statuses, the store port."""
