"""The ClientApp: mechsim's learner nodes (partition-id = node index) of the run's scenario."""

from mechsim.collab.flower_runtime import flower_client_app

app = flower_client_app()
