# JupyterLab with the workbench installed (editable) from this repository. docker-compose.yml mounts the
# repository at /work over the copy made here, so notebooks and code edits are live.
# If your user id is not 1000: docker compose build --build-arg UID=$(id -u)
FROM python:3.11-slim

ARG UID=1000
RUN useradd --create-home --uid "${UID}" analyst

WORKDIR /work
COPY pyproject.toml README.md ./
COPY loaders ./loaders
COPY workbench ./workbench
RUN pip install --no-cache-dir -e '.[graph,notebook]' && chown -R analyst /work

USER analyst
EXPOSE 8888
# tcw lab: the offline JupyterLab (a token, no news, read-only extensions) on $TCW_WORKSPACE's copy of the
# notebooks. Inside the container it listens on all its interfaces; compose publishes the port on 127.0.0.1.
CMD ["tcw", "lab", "--ip", "0.0.0.0", "--port", "8888", "--no-browser"]
