FROM python:3.12-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# The app runs as this unprivileged user; root only installs and builds.
RUN useradd --system --user-group --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin app
# gettext's msgfmt compiles the translations (locale/); it is not needed at run time.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends gettext >/dev/null \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# DEBUG=0, as the app runs: its static storage needs the manifest of hashed names. The
# placeholder secrets satisfy production settings; no real key is ever in the image.
# The app writes only under var/ (static files, uploads, beat's schedule): the user owns it.
RUN DEBUG=0 SECRET_KEY=build-only CREDENTIALS_KEYS=build-only python manage.py compilemessages -v0 \
    && DEBUG=0 SECRET_KEY=build-only CREDENTIALS_KEYS=build-only python manage.py collectstatic --noinput \
    && chown -R app:app /app/var
USER app
# X-Forwarded-For is believed only from TRUSTED_PROXIES (gunicorn's default: 127.0.0.1).
CMD ["sh", "-c", "exec gunicorn emailcenter.asgi:application -k uvicorn_worker.UvicornWorker --bind 0.0.0.0:8000 --forwarded-allow-ips=\"$TRUSTED_PROXIES\""]
