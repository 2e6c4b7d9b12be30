# One image for every production service: ui, aggregate, connect <name>, migrate.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ioc ioc
COPY streams streams
COPY connectors connectors
COPY pages pages
COPY app.py app.py
# Editable: `ioc ui` finds app.py and pages/ in /app, next to the package sources.
RUN pip install -e .
RUN useradd --create-home ioc && mkdir -p /app/var && chown ioc /app/var
USER ioc
EXPOSE 8501
ENTRYPOINT ["ioc"]
CMD ["ui"]
