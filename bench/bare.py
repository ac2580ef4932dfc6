"""The framework's ceiling: a bare Flask endpoint that redirects, served like Peerloop."""

from flask import Flask, redirect

app = Flask(__name__)


@app.get("/r/<code>")
def follow(code):
    return redirect("https://brand.example/landing?utm_source=referral", 302)
