"""The ServerApp: mechsim's driver or a mechsim strategy, with Flower's grid."""

from flwr.serverapp import ServerApp

from mechsim.collab.flower_runtime import serve

app = ServerApp()
app.main()(serve)
